package cdcfanout.mongo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.Map;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * The value type of the collections' document maps: each document as BSON, by the server's own
 * wire encoder and decoder. mongo-java-server leaves them to H2's ObjectDataType, which
 * Java-serializes every document of a page each time the page is stored and deserializes it each
 * time it is read back: with the index order fixed (IndexKeyOrder), that was most of what was left
 * of the stand-in's CPU under the sink's writes (JFR). A stored document comes back as the wire
 * would have returned it, since what a client writes arrives through the same decoder.
 */
final class DocumentType extends BasicDataType<Document> {

    /**
     * What a decoded document holds on the heap, estimated by walking it. MVStore sizes its page
     * cache and decides when to write unsaved pages by these figures: an average of BSON sizes
     * under-counted small fields several times over, and the cache outgrew the heap (an
     * OutOfMemoryError that left the store closed, in a full bench run).
     */
    @Override
    public int getMemory(Document document) {
        return (int) Math.min(Integer.MAX_VALUE, heapBytes(document));
    }

    private static long heapBytes(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof String text) {
            return 48 + 2L * text.length();
        }
        if (value instanceof Map<?, ?> map) {
            long bytes = 64 + 16L * map.size();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                bytes += 48 + heapBytes(entry.getKey()) + heapBytes(entry.getValue());
            }
            return bytes;
        }
        if (value instanceof Collection<?> list) {
            long bytes = 40 + 8L * list.size();
            for (Object element : list) {
                bytes += heapBytes(element);
            }
            return bytes;
        }
        if (value instanceof BinData binary) {
            return 48 + binary.getData().length;
        }
        return 32;
    }

    @Override
    public void write(WriteBuffer out, Document document) {
        ByteBuf bson = Unpooled.buffer();
        BsonEncoder.encodeDocument(document, bson);
        out.put(bson.array(), bson.arrayOffset() + bson.readerIndex(), bson.readableBytes());
    }

    @Override
    public Document read(ByteBuffer in) {
        // BSON starts with its own length, little-endian.
        int length = in.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt();
        ByteBuffer bson = in.slice();
        bson.limit(length);
        in.position(in.position() + length);
        return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
    }

    @Override
    public Document[] createStorage(int size) {
        return new Document[size];
    }
}
