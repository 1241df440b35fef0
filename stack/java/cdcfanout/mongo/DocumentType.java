package cdcfanout.mongo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
     * Bytes on the heap per byte of BSON, roughly, for a decoded document (maps, boxed values,
     * strings): what the page cache counts against its size.
     */
    private static final int HEAP_PER_BSON_BYTE = 4;

    /** A running average of the documents' BSON sizes: estimating each one would mean encoding it. */
    private volatile int averageBsonBytes = 256;

    @Override
    public int getMemory(Document document) {
        return averageBsonBytes * HEAP_PER_BSON_BYTE;
    }

    @Override
    public void write(WriteBuffer out, Document document) {
        ByteBuf bson = Unpooled.buffer(averageBsonBytes * 2);
        BsonEncoder.encodeDocument(document, bson);
        int length = bson.readableBytes();
        out.put(bson.array(), bson.arrayOffset() + bson.readerIndex(), length);
        averageBsonBytes = (averageBsonBytes * 15 + length) / 16;
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
