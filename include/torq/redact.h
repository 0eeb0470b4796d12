#ifndef TORQ_REDACT_H
#define TORQ_REDACT_H

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

/* 1 when key names a value that is never shown. */
int redact_key_is_sensitive(const char *key);

#endif
