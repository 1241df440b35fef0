package cdcfanout.mongo;

import org.h2.mvstore.type.ObjectDataType;

/**
 * The key type of the collections' document maps, whose keys are the documents' _ids: ordered by
 * value (IndexKeyOrder.compareValues) instead of ObjectDataType's serialized bytes, by which two
 * equal embedded-document _ids could differ, so that a document looked up by a copy of its _id was
 * not found ("No document with key", or a NullPointerException answered as "Unknown error: null")
 * and a replacement was stored beside it. Written to the file as ObjectDataType writes them.
 */
final class IdOrder extends ObjectDataType {

    @Override
    public int compare(Object a, Object b) {
        return IndexKeyOrder.compareValues(a, b);
    }
}
