#ifndef TORQ_REDACT_H
#define TORQ_REDACT_H

#include <stddef.h>
#include <jansson.h>

/*
 * What a log line or an error may show of a JSON body: a deep copy in
 * which the value of every sensitive key is replaced by SENSITIVE
 * ("(sensitive)"). Sensitive keys, compared case-insensitively, at any
 * depth: client_secret, access_token, refresh_token, password, secret,
 * token, authorization, api_key (the whole object), and parameters (every
 * value inside it, keys kept, since integration parameters hold
 * credentials). Returns a new reference; NULL for NULL.
 */
json_t *redact_json(const json_t *body);

/*
 * What a log may show of free text (a secret command's standard error):
 * every occurrence of one of the n secrets (lens[i] bytes each, empty
 * ones skipped) becomes SENSITIVE, a line that is a JSON object or array
 * is shown as redact_json shows it, and the rest goes through
 * utf8_add_clean_lines (nothing can drive the terminal). Appended to out.
 */
struct buf;
void redact_text(const char *text, size_t len, const char *const *secrets,
		 const size_t *lens, size_t n, struct buf *out);

/* 1 when key names a value that is never shown. */
int redact_key_is_sensitive(const char *key);

#endif
