package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollServerStartupException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a failed server start into Boot's "APPLICATION FAILED TO START" report with an action. */
public class VerypollServerStartupFailureAnalyzer extends AbstractFailureAnalyzer<VerypollServerStartupException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, VerypollServerStartupException cause) {
        return new FailureAnalysis(cause.getMessage(), cause.action(), cause);
    }
}
