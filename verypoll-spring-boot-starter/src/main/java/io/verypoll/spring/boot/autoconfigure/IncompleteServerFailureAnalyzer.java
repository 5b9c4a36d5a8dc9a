package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.IncompleteServerException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A server bean built without a handler, reported as Boot reports a port in use: what, then what to do. */
public class IncompleteServerFailureAnalyzer extends AbstractFailureAnalyzer<IncompleteServerException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, IncompleteServerException cause) {
        String bean = null;
        for (Throwable t = rootFailure; t != null && t != cause; t = t.getCause()) {
            if (t instanceof BeanCreationException creation && creation.getBeanName() != null) {
                bean = creation.getBeanName();
            }
        }
        String what = "The verypoll server bean " + (bean == null ? "" : "'" + bean + "' ") + "could not be built: "
                + cause.getMessage() + ".";
        return new FailureAnalysis(what, cause.action(), cause);
    }
}
