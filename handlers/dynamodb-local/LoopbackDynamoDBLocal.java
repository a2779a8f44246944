import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;

// DynamoDB Local on 127.0.0.1 only. The jar has no host option: its Jetty connector binds every
// interface. This launcher builds the same server from the same arguments, sets the connector's
// host to loopback before it starts, and exits when its parent (dmslite) goes away.
// Compiled once by handlers/embedded.ts with the JVM's own javac module (jdk.compiler).
public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field f = DynamoDBProxyServer.class.getDeclaredField("server");
    f.setAccessible(true);
    Server server = (Server) f.get(proxy);
    int bound = 0;
    for (Connector c : server.getConnectors()) {
      if (c instanceof ServerConnector) {
        ((ServerConnector) c).setHost("127.0.0.1");
        bound++;
      }
    }
    if (bound == 0) throw new IllegalStateException("no Jetty ServerConnector to bind to loopback");
    proxy.start();
    System.out.println("dmslite: DynamoDB Local listening on 127.0.0.1");
    System.out.flush();
    // The parent holds our stdin open; when it dies (even by SIGKILL) the pipe closes: exit too.
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) { /* nothing is ever written */ }
      } catch (Exception e) { /* closed */ }
      Runtime.getRuntime().halt(0);
    });
    watcher.setDaemon(true);
    watcher.start();
    proxy.join();
  }
}
