package cdcfanout.mongo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The stack's MongoDB stand-in: mongo-java-server bound to one address. Arguments: host, port, and
 * either an MVStore file (data survives a restart) or "memory".
 */
public final class MongoStandIn {
    /**
     * Written into every store this opens: its index maps are in IndexKeyOrder, its document maps
     * in IdOrder and BSON (StandInBackend), which mongo-java-server's own H2 backend cannot read,
     * nor this its.
     */
    private static final String FORMAT_MAP = "cdcfanout.stand-in";
    private static final String FORMAT_KEY = "format";
    private static final String FORMAT = "ordered-index-keys,element-index-keys,ordered-ids,bson-documents";

    private MongoStandIn() {}

    private static MVStore openStore(String file) {
        int cacheMb = Integer.getInteger("mvstore.cacheMb", 64);
        // When changed pages are written (mongo.sh: docs/mongodb-stand-in.md has why and what it costs
        // on a crash); unset, H2's defaults.
        MVStore.Builder builder = new MVStore.Builder().fileName(file).cacheSize(cacheMb);
        Integer bufferKb = Integer.getInteger("mvstore.autoCommitBufferKb");
        if (bufferKb != null) builder.autoCommitBufferSize(bufferKb);
        Integer splitBytes = Integer.getInteger("mvstore.pageSplitSize");
        if (splitBytes != null) builder.pageSplitSize(splitBytes);
        MVStore store = builder.open();
        Integer delayMs = Integer.getInteger("mvstore.autoCommitDelayMs");
        if (delayMs != null) store.setAutoCommitDelay(delayMs);
        MVMap<String, String> format = store.openMap(FORMAT_MAP);
        boolean hasData = store.getMapNames().stream().anyMatch(name -> !name.equals(FORMAT_MAP));
        String stamped = format.get(FORMAT_KEY);
        if (hasData && !FORMAT.equals(stamped)) {
            store.close();
            String found = stamped == null ? "mongo-java-server's own H2 backend" : stamped;
            if (!Boolean.getBoolean("standin.replaceOtherFormat")) {
                System.err.println(file + " was written in another format (" + found + ") that this stand-in (" + FORMAT
                    + ") cannot read; remove it, or start with -Dstandin.replaceOtherFormat=true");
                System.exit(3);
            }
            System.err.println(file + " was written in another format (" + found + ") that this stand-in (" + FORMAT
                + ") cannot read: removed, the stand-in starts empty");
            try {
                Files.delete(Path.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return openStore(file);
        }
        format.put(FORMAT_KEY, FORMAT);
        return store;
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: MongoStandIn <host> <port> <mvstore-file|memory>");
            System.exit(2);
        }
        MongoBackend backend = "memory".equals(args[2]) ? new MemoryBackend() : new StandInBackend(openStore(args[2]));
        MongoServer server = new MongoServer(backend);
        // shutdown() closes the backend, which writes the MVStore's last changes to its file.
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "mongo-stand-in-shutdown"));
        server.bind(args[0], Integer.parseInt(args[1]));
        System.out.println("mongo-java-server listening on " + args[0] + ":" + args[1] + " (" + args[2] + ")");
    }
}
