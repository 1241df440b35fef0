// The driver's wire-protocol module has no types of its own (the package's typings cover its public
// API only). The sink uses one class of it: an OP_MSG document sequence of pre-encoded documents.
declare module 'mongodb/lib/cmap/commands.js' {
  import type { Document } from 'mongodb';

  /** A command field sent as a payload type 1 section: the documents' bytes as they are. */
  export class DocumentSequence {
    constructor(field: string);
    /** The documents as given, read by the driver only for command monitoring. */
    readonly documents: Document[];
    /** The section's header, then each document's bytes as pushed: what is sent. */
    readonly chunks: Uint8Array[];
    /** Appends a document with its BSON; answers the section's length so far. */
    push(document: Document, bytes: Uint8Array): number;
  }

  /** An OP_MSG request as the driver encodes it; the tests read its bytes to check the wire form. */
  export class OpMsgRequest {
    constructor(databaseName: string, command: Document, options: object);
    toBin(): Buffer[];
  }
}
