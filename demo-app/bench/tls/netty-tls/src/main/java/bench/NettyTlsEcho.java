package bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Version;

import java.io.File;
import java.net.InetAddress;

/**
 * Netty 4.2 TLS echo: {@code SslHandler} with the JDK provider (the same SSLEngine as the starter),
 * TLS 1.3 and 1.2, NIO transport, one event-loop thread; the echo handler is the one of
 * ../shared/bench's NettyEcho (write per read, flush per read burst, stop reading while unwritable).
 *
 * <pre>usage: java -cp ... bench.NettyTlsEcho CERT.pem KEY.pem PORT   (listens on 127.0.0.1:PORT)</pre>
 */
public final class NettyTlsEcho {
    private NettyTlsEcho() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: NettyTlsEcho CERT.pem KEY.pem PORT");
            System.exit(64);
        }
        SslContext tls = SslContextBuilder.forServer(new File(args[0]), new File(args[1]))
                .sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2").build();
        int port = Integer.parseInt(args[2]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Echo echo = new Echo();
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group, group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), echo);
                        }
                    });
            Channel ch = b.bind(InetAddress.getLoopbackAddress(), port).sync().channel();
            System.err.println("netty " + Version.identify().get("netty-handler").artifactVersion()
                    + " TLS (JDK provider) echo listening on " + ch.localAddress());
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
