package cdcfanout.mongo;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

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
 * Which keys are equal does not change: values of different classes never compare equal (the index
 * normalizes numbers before they get here), strings and numbers by equals, and values of any other
 * class (documents, ids of other types) by their serialized bytes, as before. The order itself is
 * not the serialized one, so a file whose index maps were written by that one cannot be
 * read with this (MongoStandIn refuses it).
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
            return compareKeys(left, right);
        }
        return super.compare(a, b);
    }

    private static int compareKeys(KeyValue left, KeyValue right) {
        int shared = Math.min(left.size(), right.size());
        for (int i = 0; i < shared; i++) {
            int order = compareValues(left.get(i), right.get(i));
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(left.size(), right.size());
    }

    private static int compareValues(Object a, Object b) {
        if (a == b) {
            return 0;
        }
        if (a == null || b == null) {
            return a == null ? -1 : 1;
        }
        if (a.getClass() != b.getClass()) {
            return a.getClass().getName().compareTo(b.getClass().getName());
        }
        if (a instanceof String left) {
            return left.compareTo((String) b);
        }
        if (a instanceof Double left) {
            return left.compareTo((Double) b);
        }
        if (a instanceof Long left) {
            return left.compareTo((Long) b);
        }
        if (a instanceof Integer left) {
            return left.compareTo((Integer) b);
        }
        if (a instanceof Boolean left) {
            return left.compareTo((Boolean) b);
        }
        return compareNotNull(serialize(a), serialize(b));
    }
}
