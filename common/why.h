/*
 * why.h: the sentences an error page says, in English and Chinese, and
 * the language a request asks for.
 */
#ifndef WHY_H
#define WHY_H

#include "http.h"

/* The two languages a page speaks. */
enum why_lang {
	WHY_EN,
	WHY_ZH,
};

/*
 * The language req's Accept-Language prefers: Chinese when its first
 * choice (the highest q) is zh or zh-CN, zh-TW ..., English otherwise,
 * and when req is NULL or sends no Accept-Language (curl sends none).
 */
enum why_lang why_lang(const struct http_request *req);

/* What status means, in a sentence ("There is no file at this path."). */
const char *why_status(enum http_status status, enum why_lang lang);

/* Which rule the request broke, in a sentence; "" for HTTP_FAULT_NONE. */
const char *why_fault(enum http_fault fault, enum why_lang lang);

/* The few words the log line gives fault ("no Host header"); "" for none. */
const char *why_brief(enum http_fault fault);

#endif
