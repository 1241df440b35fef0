package cdcfanout.mongo;

import java.util.Comparator;
import java.util.List;
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
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * mongo-java-server's H2 backend with its index maps ordered by IndexKeyOrder, its documents
 * stored as BSON (DocumentType) under their _ids ordered by value (IdOrder), and collections that
 * answer a filter naming an _id from the _id index.
 */
final class StandInBackend extends H2Backend {

    /** H2Database's (package-private) prefixes of a collection's document map and metadata map. */
    private static final String DOCUMENT_MAP_PREFIX = "databases.";
    private static final String META_MAP_PREFIX = "meta.";

    StandInBackend(MVStore store) {
        super(store);
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
            getMvStore().openMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName,
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
