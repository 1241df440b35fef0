package cdcfanout.mongo;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * mongo-java-server's H2 backend with its index maps ordered by IndexKeyOrder, its documents
 * stored as BSON (DocumentType) under their _ids ordered by value (IdOrder), and collections that
 * answer a filter naming an _id from the _id index. A collection renamed over another is one step
 * for every other command, and takes its stored maps along.
 */
final class StandInBackend extends H2Backend {

    /** H2Database's (package-private) prefixes of a collection's document map and metadata map. */
    private static final String DOCUMENT_MAP_PREFIX = "databases.";
    private static final String META_MAP_PREFIX = "meta.";
    private static final String INDEX_MAP_INFIX = "._index_";

    /*
     * mongo-java-server renames with dropTarget in two steps: it drops the target, then moves the
     * source. MongoDB does both in one catalog write, so a reader finds the old collection or the new
     * one, never none (reindex --sink mongodb relies on that). A rename therefore excludes every other
     * command; the others share the lock and run concurrently as before.
     */
    private final ReentrantReadWriteLock catalogLock = new ReentrantReadWriteLock();

    StandInBackend(MVStore store) {
        super(store);
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        Lock lock = command.equalsIgnoreCase("renameCollection") ? catalogLock.writeLock() : catalogLock.readLock();
        return holding(lock, () -> super.handleCommand(channel, databaseName, command, query));
    }

    @Override
    public QueryResult handleQuery(MongoQuery query) {
        return holding(catalogLock.readLock(), () -> super.handleQuery(query));
    }

    private static <T> T holding(Lock lock, Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** The name a map of the collection oldNamespace takes when it becomes newNamespace; null if not its. */
    private static String renamedMapName(String mapName, String oldNamespace, String newNamespace) {
        if (mapName.equals(DOCUMENT_MAP_PREFIX + oldNamespace)) return DOCUMENT_MAP_PREFIX + newNamespace;
        if (mapName.equals(META_MAP_PREFIX + oldNamespace)) return META_MAP_PREFIX + newNamespace;
        if (mapName.startsWith(oldNamespace + INDEX_MAP_INFIX)) {
            return newNamespace + mapName.substring(oldNamespace.length());
        }
        return null;
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new Database(databaseName);
    }

    /*
     * An inner class because H2Database opens the existing indexes from its own constructor, before a
     * subclass could have fields; the enclosing instance (and with it the store) is set before that.
     * H2Database opens its maps by name with the default types; an MVStore hands out a map that is
     * already open as it is, so opening one here first decides its types. One type instance per
     * map, as H2 gives each map its own ObjectDataType, which keeps state (its last value type).
     */
    private final class Database extends H2Database {

        Database(String databaseName) {
            super(databaseName, getMvStore(), getCursorRegistry());
        }

        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                        boolean sparse) {
            getMvStore().openMap(getFullCollectionNamespace(collectionName) + INDEX_MAP_INFIX + indexName,
                new MVMap.Builder<KeyValue, Object>().keyType(new IndexKeyOrder()));
            return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String namespace = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> documents = getMvStore().openMap(DOCUMENT_MAP_PREFIX + namespace,
                new MVMap.Builder<Object, Document>().keyType(new IdOrder()).valueType(new DocumentType()));
            MVMap<String, Object> meta = getMvStore().openMap(META_MAP_PREFIX + namespace);
            return new StandInCollection(this, collectionName, options, documents, meta, cursorRegistry);
        }

        /*
         * H2Database renames the maps only after the collection already carries its new name, so it
         * renames nothing: the moved collection kept writing to maps under its old name, a restart
         * opened the new name's (empty) maps, and a collection created under the old name shared the
         * moved one's storage. Here every map of the collection takes the new name. A map already
         * under that name is the dropped target's, or one H2Database just opened empty.
         */
        @Override
        public void moveCollection(MongoDatabase oldDatabase, MongoCollection<?> collection, String newCollectionName) {
            String oldNamespace = collection.getFullName();
            super.moveCollection(oldDatabase, collection, newCollectionName);
            String newNamespace = getFullCollectionNamespace(newCollectionName);
            MVStore store = getMvStore();
            for (String mapName : List.copyOf(store.getMapNames())) {
                String newName = renamedMapName(mapName, oldNamespace, newNamespace);
                if (newName == null) continue;
                if (store.hasMap(newName)) store.removeMap(newName);
                store.renameMap(store.openMap(mapName), newName);
            }
        }
    }

    private static final class StandInCollection extends H2Collection {

        StandInCollection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, Document> documents,
                          MVMap<String, Object> meta, CursorRegistry cursorRegistry) {
            super(database, name, options, documents, meta, cursorRegistry);
        }

        /**
         * A filter that names one _id among other conditions is answered from the _id index, as
         * MongoDB's planner does. mongo-java-server uses an index only for a filter on exactly its
         * keys and scans the collection for any other: the sink's compare-and-set ({_id, position})
         * needed an index of its own on both. The whole filter still decides, on the one document.
         */
        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            Object id = query.get(getIdField());
            if (query.size() > 1 && (id instanceof String || id instanceof Number)) {
                Document idOnly = new Document(getIdField(), id);
                for (Index<Object> index : getIndexes()) {
                    if (index.canHandle(idOnly)) {
                        return matchDocuments(query, index.getPositions(idOnly), orderBy, numberToSkip, limit,
                            batchSize, fieldSelector);
                    }
                }
            }
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /**
         * Hands out copies of its documents. mongo-java-server updates a document it found by editing
         * that object in place, then stores it again; the object is the one the map holds, which the
         * store's background writer may be encoding at that moment (a ConcurrentModificationException
         * in a bench run, which closed the store). Every document a query reaches passes through here.
         */
        @Override
        protected QueryResult matchDocumentsFromStream(Document query, Stream<Document> documents, int numberToSkip,
                                                       int limit, int batchSize, Comparator<Document> order,
                                                       Document fieldSelector) {
            return super.matchDocumentsFromStream(query, documents.map(Document::cloneDeeply), numberToSkip, limit,
                batchSize, order, fieldSelector);
        }
    }
}
