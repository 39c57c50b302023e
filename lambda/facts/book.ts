/**
 * Facts of the live order book shared by the functions that use it and the program that deploys
 * it (lib/data/order-book.ts). Imports nothing.
 */

/** The book keys every item by this attribute alone (the writer item, and `order#<id>`). */
export const BOOK_KEY = 'pk';

/** Order items' keys start with this; the writer item's does not. */
export const ORDER_PK_PREFIX = 'order#';

/** The partition key value of the writer item (who writes the book, under which epoch). */
export const WRITER_PK = 'writer';
