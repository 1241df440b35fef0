package cdcfanout.mongo;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import de.bwaldvogel.mongo.backend.KeyValue;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;

/**
 * The key type of the index maps. mongo-java-server opens them with H2's ObjectDataType, which
 * orders a key class it does not know (KeyValue) by Java-serializing both keys on every comparison:
 * on the sink's point lookups that was two thirds of the stand-in's CPU (JFR), and it grows with the
 * collection (log n comparisons per lookup). This orders keys by their values instead, element by
 * element.
 *
 * It also writes them to the file element by element. ObjectDataType Java-serialized each KeyValue
 * whole, class descriptors included, every time a page of the index was stored, and deserialized
 * it every time one was read: with the order fixed, that was most of the store's background
 * serialization thread, itself 41% of the stand-in's CPU under the sink's writes (JFR). Each
 * element is still written by ObjectDataType, which has compact forms for strings and numbers and
 * Java-serializes only what it has none for (an embedded document), so every element reads back as
 * the same class with the same value.
 *
 * Which keys are equal: values of different classes never compare equal (the index normalizes
 * numbers before they get here), documents and lists element by element, comparable values (strings,
 * numbers, ObjectIds, dates) by compareTo, and values of any other class by their serialized bytes.
 * The order is not the serialized one, so a file whose index maps were written by that one cannot
 * be read with this (MongoStandIn refuses it).
 */
final class IndexKeyOrder extends ObjectDataType {

    /** Marks a KeyValue in the file: a tag ObjectDataType does not use (its own end at 119). */
    private static final byte KEY_VALUE_TAG = 127;

    @Override
    public void write(WriteBuffer out, Object key) {
        if (!(key instanceof KeyValue values)) {
            super.write(out, key);
            return;
        }
        out.put(KEY_VALUE_TAG).putVarInt(values.size());
        for (Object value : values) {
            super.write(out, value);
        }
    }

    @Override
    public Object read(ByteBuffer in) {
        if (in.get(in.position()) != KEY_VALUE_TAG) {
            return super.read(in);
        }
        in.get();
        int size = DataUtils.readVarInt(in);
        List<Object> values = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            values.add(super.read(in));
        }
        return new KeyValue(values);
    }

    /** The heap a key takes (the KeyValue and its list, then each element), which sizes the page cache. */
    @Override
    public int getMemory(Object key) {
        if (!(key instanceof KeyValue values)) {
            return super.getMemory(key);
        }
        int bytes = 64;
        for (Object value : values) {
            bytes += 8 + (value == null ? 0 : super.getMemory(value));
        }
        return bytes;
    }

    @Override
    public int compare(Object a, Object b) {
        if (a instanceof KeyValue left && b instanceof KeyValue right) {
            return compareSequences(left, right);
        }
        return super.compare(a, b);
    }

    /**
     * Orders two values of an index key, or two _ids (IdOrder). Documents and lists by their
     * elements, in order: by their Java-serialized bytes, as ObjectDataType orders them, two equal
     * documents could differ, since a LinkedHashMap's serialized form includes its table size,
     * which depends on how the map was built (a copy is sized to its entries, a map filled one
     * entry at a time is not). A lookup with a copied _id then missed its own document.
     */
    static int compareValues(Object a, Object b) {
        if (a instanceof String left && b instanceof String right) {
            return left.compareTo(right); // the usual _id: the order below gives the same, after five type tests
        }
        if (a == b) {
            return 0;
        }
        if (a == null || b == null) {
            return a == null ? -1 : 1;
        }
        if (a instanceof Map<?, ?> left && b instanceof Map<?, ?> right) {
            return compareMaps(left, right);
        }
        if (a instanceof List<?> left && b instanceof List<?> right) {
            return compareSequences(left, right);
        }
        if (a.getClass() != b.getClass()) {
            return a.getClass().getName().compareTo(b.getClass().getName());
        }
        if (a instanceof Comparable<?>) {
            @SuppressWarnings("unchecked")
            Comparable<Object> left = (Comparable<Object>) a;
            return left.compareTo(b);
        }
        return compareNotNull(serialize(a), serialize(b));
    }

    private static int compareMaps(Map<?, ?> left, Map<?, ?> right) {
        Iterator<? extends Map.Entry<?, ?>> rightEntries = right.entrySet().iterator();
        for (Map.Entry<?, ?> entry : left.entrySet()) {
            if (!rightEntries.hasNext()) {
                return 1;
            }
            Map.Entry<?, ?> other = rightEntries.next();
            int order = compareValues(entry.getKey(), other.getKey());
            if (order == 0) {
                order = compareValues(entry.getValue(), other.getValue());
            }
            if (order != 0) {
                return order;
            }
        }
        return rightEntries.hasNext() ? -1 : 0;
    }

    /** Element by element, then the shorter first: index keys (KeyValue) and lists alike. */
    private static int compareSequences(Iterable<?> left, Iterable<?> right) {
        Iterator<?> others = right.iterator();
        for (Object value : left) {
            if (!others.hasNext()) {
                return 1;
            }
            int order = compareValues(value, others.next());
            if (order != 0) {
                return order;
            }
        }
        return others.hasNext() ? -1 : 0;
    }
}
