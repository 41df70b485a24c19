/* xul-key-private.h: the kvcore key of a (document, id, attribute) tuple.
 *
 * key = doc 0x00 id 0x00 attr. Components are NUL-free UTF-8 (C strings), so the
 * encoding is injective whatever they contain, and bytewise key order is the order of
 * the tuples, component by component; "doc 0x00" and "doc 0x00 id 0x00" are the
 * prefixes of one document's and one element's keys. See docs/format.md. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends the key of (doc, id, attr) to @key, which it empties first. */
void xul_key_encode (GByteArray *key,
                     const char *doc,
                     const char *id,
                     const char *attr);

/* Appends the prefix shared by every key of @doc (and of @id within it, when not NULL). */
void xul_key_encode_prefix (GByteArray *key,
                            const char *doc,
                            const char *id);

/* Splits a key read from disk into newly allocated components. Fails, without
 * touching the outputs, unless the key has exactly three valid UTF-8 components. */
gboolean xul_key_decode (const guint8 *key,
                         gsize         len,
                         char        **doc,
                         char        **id,
                         char        **attr);

/* The length of the document component of @key (up to its first 0x00, or all of it). */
gsize xul_key_document_length (const guint8 *key,
                               gsize         len);

G_END_DECLS
