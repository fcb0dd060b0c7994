// Readiness probe for the local Kafka broker, run by scripts/services.sh with Java's single-file
// source launcher on the broker's own classpath. It exists so that readiness needs nothing but the
// jars already fetched for the broker: CI starts services before `make test` has built the
// Python venv, so a confluent-kafka probe is not available there. An open port is not enough: the
// broker accepts connections before the KRaft controller has elected itself and published
// metadata, so the probe waits until the admin API describes the cluster and its features.
//
// Usage: java -cp 'libs/*' KafkaProbe.java <bootstrap> <timeout-seconds>
// Exit 0 and print one line (version and feature levels) when ready, exit 1 on timeout.

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.common.utils.internals.AppInfoParser;

public class KafkaProbe {
    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        long timeoutSeconds = args.length > 1 ? Long.parseLong(args[1]) : 60;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // Short per-call timeouts so one attempt against a half-started broker cannot eat the
        // whole budget; the loop below does the waiting.
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");

        String lastError = "no attempt made";
        try (Admin admin = Admin.create(props)) {
            while (System.nanoTime() < deadline) {
                try {
                    int nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    FeatureMetadata features =
                            admin.describeFeatures().featureMetadata().get(5, TimeUnit.SECONDS);
                    if (nodes > 0) {
                        System.out.println("kafka " + AppInfoParser.getVersion()
                                + " (brokers=" + nodes + ", " + levels(features) + ")");
                        return;
                    }
                    lastError = "cluster has no brokers yet";
                } catch (Exception e) {
                    lastError = e.toString();
                }
                Thread.sleep(500);
            }
        }
        System.err.println("kafka not ready at " + bootstrap + " after " + timeoutSeconds
                + "s: " + lastError);
        System.exit(1);
    }

    // The transport cares about share groups, so show the finalized levels that matter to it.
    private static String levels(FeatureMetadata features) {
        Map<String, FinalizedVersionRange> finalized = features.finalizedFeatures();
        StringBuilder out = new StringBuilder();
        for (String name : new String[] {"metadata.version", "share.version", "group.version"}) {
            FinalizedVersionRange range = finalized.get(name);
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(name).append('=').append(range == null ? "off" : range.maxVersionLevel());
        }
        return out.toString();
    }
}
