package cdcfanout.mongo;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.h2.mvstore.MVStore;

/**
 * The stack's MongoDB stand-in: mongo-java-server bound to one address. Arguments: host, port, and
 * either an MVStore file (data survives a restart) or "memory".
 */
public final class MongoStandIn {
    private MongoStandIn() {}

    private static MVStore openStore(String file) {
        int cacheMb = Integer.getInteger("mvstore.cacheMb", 64);
        return new MVStore.Builder().fileName(file).cacheSize(cacheMb).open();
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: MongoStandIn <host> <port> <mvstore-file|memory>");
            System.exit(2);
        }
        MongoBackend backend = "memory".equals(args[2]) ? new MemoryBackend() : new H2Backend(openStore(args[2]));
        MongoServer server = new MongoServer(backend);
        // shutdown() closes the backend, which writes the MVStore's last changes to its file.
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "mongo-stand-in-shutdown"));
        server.bind(args[0], Integer.parseInt(args[1]));
        System.out.println("mongo-java-server listening on " + args[0] + ":" + args[1] + " (" + args[2] + ")");
    }
}
