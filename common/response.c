/*
 * response.c: the response head, the error pages, and the log line.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "date.h"
#include "lab.h"
#include "net.h"
#include "response.h"

/*
 * A head is a fixed part (status line, Date, Server, Content-Type,
 * Content-Length, Connection, an error page's Vary: under HEAD_FIXED_MAX
 * bytes), extra headers
 * (RESPONSE_EXTRA_MAX: at longest a Location built from the whole target),
 * and for an error an HTML page. The buffer must hold all three, so
 * response_head cannot truncate.
 */
#define HEAD_FIXED_MAX  512
#define ERROR_PAGE_MAX  1024
#define VARY_LANGUAGE   "Vary: Accept-Language\r\n"
_Static_assert(HEAD_FIXED_MAX + RESPONSE_EXTRA_MAX + ERROR_PAGE_MAX <= RESPONSE_HEAD_MAX,
               "RESPONSE_HEAD_MAX must hold a head with a Location and an error page");
/*
 * peer "request line" status bytes why: the line is cut to REQUEST_LINE_MAX,
 * status and bytes take under 48, and a fault's brief words under 48 more.
 */
_Static_assert(LOG_LINE_MAX >= NET_PEER_MAX + REQUEST_LINE_MAX + 48 + 48,
               "LOG_LINE_MAX must hold a peer, the request line, the status and why");

/* One sentence for each error page: what went wrong, for a person. */
static const struct {
	enum http_status code;
	const char *why, *zh;
} whys[] = {
	{ HTTP_MOVED_PERMANENTLY, "The resource lives at the address in the Location header.",
	  "资源已搬到 Location 首部给出的地址。" },
	{ HTTP_SEE_OTHER, "The answer is at the address in the Location header.",
	  "答复在 Location 首部给出的地址。" },
	{ HTTP_BAD_REQUEST, "The request is not valid HTTP/1.1.",
	  "这个请求不是合法的 HTTP/1.1 请求。" },
	{ HTTP_FORBIDDEN, "This path is outside what the server may show.",
	  "这个路径在服务器可以展示的范围之外。" },
	{ HTTP_NOT_FOUND, "There is no file at this path.",
	  "这个路径下没有文件。" },
	{ HTTP_METHOD_NOT_ALLOWED, "This resource can only be read, with GET or HEAD.",
	  "这个资源只能读取，请用 GET 或 HEAD。" },
	{ HTTP_REQUEST_TIMEOUT, "The request did not arrive in time.",
	  "请求没有按时到齐。" },
	{ HTTP_PRECONDITION_FAILED, "The file is not the version the request names.",
	  "文件已不是请求所指的那个版本。" },
	{ HTTP_CONTENT_TOO_LARGE, "The request body is larger than the server accepts.",
	  "请求体超过了服务器接受的大小。" },
	{ HTTP_URI_TOO_LONG, "The request target is longer than the server accepts.",
	  "请求目标超过了服务器接受的长度。" },
	{ HTTP_UNSUPPORTED_MEDIA_TYPE, "The request body is not in a form this address accepts.",
	  "请求体的格式不是这个地址接受的格式。" },
	{ HTTP_RANGE_NOT_SATISFIABLE, "The requested range starts beyond the end of the file.",
	  "请求的范围起点超出了文件末尾。" },
	{ HTTP_EXPECTATION_FAILED, "The server cannot meet the request's Expect header.",
	  "服务器无法满足请求的 Expect 首部。" },
	{ HTTP_HEADERS_TOO_LARGE, "The request headers are larger than the server accepts.",
	  "请求首部超过了服务器接受的大小。" },
	{ HTTP_INTERNAL_ERROR, "The server failed while answering.",
	  "服务器在回答时出错了。" },
	{ HTTP_NOT_IMPLEMENTED, "The server does not implement this feature.",
	  "服务器没有实现这个功能。" },
	{ HTTP_UNAVAILABLE, "The server is out of resources; try again shortly.",
	  "服务器资源已耗尽，请稍后再试。" },
	{ HTTP_VERSION_NOT_SUPPORTED, "This server speaks HTTP/1.0 and HTTP/1.1 only.",
	  "这个服务器只支持 HTTP/1.0 和 HTTP/1.1。" },
};

static const char *
why(enum http_status status, enum response_lang lang)
{
	size_t i;

	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (whys[i].code == status)
			return lang == RESPONSE_ZH ? whys[i].zh : whys[i].why;
	return "";
}

#define NUMBER_(n) #n
#define NUMBER(n) NUMBER_(n)

/*
 * Why a request was refused, which rule it broke: a few words for the log
 * line, and a sentence for the error page, in place of the status's own.
 * Every text about a fault is in this table, and nowhere else.
 */
static const struct {
	enum http_fault fault;
	const char *brief;         /* the log's: ASCII, under 48 bytes */
	const char *why, *zh;      /* the page's, in English and Chinese: HTML text, no markup */
} faults[] = {
	{ HTTP_FAULT_EMPTY_LINES, "only empty lines",
	  "Nothing came but empty lines: a request begins with a request line, "
	  "such as GET / HTTP/1.1.",
	  "只收到了空行：请求要以请求行开头，例如 GET / HTTP/1.1。" },
	{ HTTP_FAULT_LINE_TOO_LONG, "request line too long",
	  "The request line is longer than the " NUMBER(REQUEST_LINE_MAX)
	  " bytes the server accepts.",
	  "请求行超过了服务器接受的 " NUMBER(REQUEST_LINE_MAX) " 字节。" },
	{ HTTP_FAULT_HEAD_TOO_LARGE, "header lines too long",
	  "The header lines add up to more than the " NUMBER(HEADER_MAX)
	  " bytes the server accepts.",
	  "首部行加起来超过了服务器接受的 " NUMBER(HEADER_MAX) " 字节。" },
	{ HTTP_FAULT_TOO_MANY_HEADERS, "too many header lines",
	  "The request has more than the " NUMBER(HEADER_LINES_MAX)
	  " header lines the server accepts.",
	  "请求的首部行超过了服务器接受的 " NUMBER(HEADER_LINES_MAX) " 行。" },
	{ HTTP_FAULT_REQUEST_LINE, "request line not method, target, version",
	  "The request line must be three parts with one space between each: "
	  "a method, a target and a version, as in GET /index.html HTTP/1.1 "
	  "(a space inside the target is sent as %20).",
	  "请求行必须是用一个空格隔开的三部分：方法、目标和版本，例如 "
	  "GET /index.html HTTP/1.1（目标里的空格要写成 %20）。" },
	{ HTTP_FAULT_METHOD, "bad method",
	  "The method must be a word of at most " NUMBER(METHOD_MAX) " letters, "
	  "digits or !#$%&'*+-.^_`|~, such as GET.",
	  "方法必须是一个最多 " NUMBER(METHOD_MAX) " 个字符的词，"
	  "由字母、数字或 !#$%&'*+-.^_`|~ 组成，例如 GET。" },
	{ HTTP_FAULT_TARGET_BYTE, "byte in target must be percent-encoded",
	  "The target holds a byte that must be percent-encoded: a control "
	  "character, or one above 0x7e, such as UTF-8 (/中国.html is sent as "
	  "/%E4%B8%AD%E5%9B%BD.html).",
	  "目标里有必须百分号编码的字节：控制字符，或大于 0x7e 的字节，"
	  "例如 UTF-8（/中国.html 要发成 /%E4%B8%AD%E5%9B%BD.html）。" },
	{ HTTP_FAULT_TARGET_FORM, "target does not begin with /",
	  "The target must begin with a slash, as in /index.html, or be a whole "
	  "URL, as in http://localhost/index.html.",
	  "目标必须以斜杠开头，例如 /index.html，或者是完整的 URL，"
	  "例如 http://localhost/index.html。" },
	{ HTTP_FAULT_ASTERISK, "* with a method other than OPTIONS",
	  "The target * stands for the whole server, and only OPTIONS may ask for it.",
	  "目标 * 代表整个服务器，只有 OPTIONS 可以这样请求。" },
	{ HTTP_FAULT_CONNECT, "CONNECT target not host:port",
	  "CONNECT asks for a tunnel to host:port, and its target must be just that.",
	  "CONNECT 请求建立一条到 host:port 的隧道，它的目标只能是 host:port。" },
	{ HTTP_FAULT_VERSION, "bad version",
	  "The request line must end in a version: HTTP/ and two digits with a "
	  "dot between them, as in HTTP/1.1.",
	  "请求行必须以版本结尾：HTTP/ 加上用点隔开的两个数字，例如 HTTP/1.1。" },
	{ HTTP_FAULT_VERSION_CASE, "version not in capitals",
	  "HTTP is case-sensitive: the version is HTTP/1.1, in capitals, and so "
	  "are the methods: GET, not get.",
	  "HTTP 区分大小写：版本是大写的 HTTP/1.1，方法也一样：GET，而不是 get。" },
	{ HTTP_FAULT_VERSION_MAJOR, "not HTTP/1.x",
	  "This server speaks HTTP/1.0 and HTTP/1.1 only.",
	  "这个服务器只支持 HTTP/1.0 和 HTTP/1.1。" },
	{ HTTP_FAULT_HEADER_COLON, "header line without a colon",
	  "Every header line is a name, a colon and a value, as in Host: "
	  "localhost; one has no colon.",
	  "每个首部行都是名字、冒号和值，例如 Host: localhost；有一行没有冒号。" },
	{ HTTP_FAULT_HEADER_NAME, "bad header name",
	  "A header name is a word of letters, digits or !#$%&'*+-.^_`|~; one is "
	  "empty or holds another byte.",
	  "首部名是由字母、数字或 !#$%&'*+-.^_`|~ 组成的词；有一个是空的，"
	  "或含有别的字节。" },
	{ HTTP_FAULT_SPACE_BEFORE_COLON, "space before a header's colon",
	  "A header line has white space between its name and the colon (Host : "
	  "x). RFC 9112 5.1 forbids it: servers and proxies that read such a "
	  "line differently have been made to see two different requests.",
	  "有一个首部行在名字和冒号之间有空白（Host : x）。RFC 9112 5.1 "
	  "禁止这样写：对这种行理解不同的服务器和代理，曾被人利用来看到两个不同的请求。" },
	{ HTTP_FAULT_HEADER_VALUE, "control character in a header value",
	  "A header value holds a control character; of those, only a tab is allowed.",
	  "有一个首部值含有控制字符；控制字符里只允许制表符。" },
	{ HTTP_FAULT_FOLDED, "folded header line",
	  "A header line begins with a space or a tab: the obsolete way to "
	  "continue the line before it, which RFC 9112 5.2 lets a server refuse.",
	  "有一个首部行以空格或制表符开头：这是续接上一行的过时写法，"
	  "RFC 9112 5.2 允许服务器拒绝它。" },
	{ HTTP_FAULT_NO_HOST, "no Host header",
	  "An HTTP/1.1 request must name the host it is for: add a line such as "
	  "Host: localhost before the empty line.",
	  "HTTP/1.1 请求必须指明它要访问的主机：在空行之前加上一行，"
	  "例如 Host: localhost。" },
	{ HTTP_FAULT_HOST_TWICE, "more than one Host header",
	  "The request has more than one Host line; it must have one.",
	  "请求有不止一个 Host 行；只能有一个。" },
	{ HTTP_FAULT_HOST_BAD, "bad Host header",
	  "The Host header must be a host name or an address, with an optional :port.",
	  "Host 首部必须是主机名或地址，后面可以跟 :端口。" },
	{ HTTP_FAULT_LENGTH_BAD, "bad Content-Length",
	  "Content-Length must be the size of the body in bytes, in digits only.",
	  "Content-Length 必须是请求体的字节数，只能由数字组成。" },
	{ HTTP_FAULT_LENGTH_CONFLICT, "conflicting Content-Length",
	  "Two Content-Length values differ, so where the body ends is unknown; "
	  "guessing is how requests are smuggled past a proxy.",
	  "两个 Content-Length 的值不同，无法知道请求体在哪里结束；"
	  "靠猜，正是请求走私混过代理的办法。" },
	{ HTTP_FAULT_BODY_TOO_LARGE, "body too large",
	  "The request body is larger than the server accepts.",
	  "请求体超过了服务器接受的大小。" },
	{ HTTP_FAULT_LENGTH_AND_CODING, "Transfer-Encoding with Content-Length",
	  "Transfer-Encoding and Content-Length both say where the body ends "
	  "(RFC 9112 6.1): a request with both may be smuggling another.",
	  "Transfer-Encoding 和 Content-Length 都在说请求体在哪里结束"
	  "（RFC 9112 6.1）：两者都有的请求可能在夹带另一个请求。" },
	{ HTTP_FAULT_CODING_HTTP10, "Transfer-Encoding in HTTP/1.0",
	  "HTTP/1.0 has no Transfer-Encoding, so where the body ends is unknown.",
	  "HTTP/1.0 没有 Transfer-Encoding，所以无法知道请求体在哪里结束。" },
	{ HTTP_FAULT_CODING_NOT_CHUNKED, "Transfer-Encoding not ending in chunked",
	  "A request's Transfer-Encoding must end in chunked, or where its body "
	  "ends is unknown (RFC 9112 6.3).",
	  "请求的 Transfer-Encoding 必须以 chunked 结尾，"
	  "否则无法知道请求体在哪里结束（RFC 9112 6.3）。" },
	{ HTTP_FAULT_CODING_UNKNOWN, "transfer coding other than chunked",
	  "The server decodes the chunked transfer coding only.",
	  "服务器只解码 chunked 这一种传输编码。" },
	{ HTTP_FAULT_CHUNKED_UNREAD, "chunked body",
	  "This server cannot tell where a chunked body ends: send the body with "
	  "a Content-Length.",
	  "这个服务器无法判断分块（chunked）请求体在哪里结束："
	  "请用 Content-Length 发送请求体。" },
	{ HTTP_FAULT_METHOD_UNKNOWN, "method not known",
	  "The server does not know this method; it serves files with GET and HEAD.",
	  "服务器不认识这个方法；它用 GET 和 HEAD 提供文件。" },
	{ HTTP_FAULT_METHOD_CASE, "method not in capitals",
	  "Methods are case-sensitive, and written in capitals: GET, not get.",
	  "方法区分大小写，要用大写：GET，而不是 get。" },
};

/* The fault's entry in faults[], or -1 (HTTP_FAULT_NONE has none). */
static int
fault_index(enum http_fault fault)
{
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (faults[i].fault == fault)
			return (int)i;
	return -1;
}

const char *
response_fault_brief(enum http_fault fault)
{
	int i = fault_index(fault);

	return i == -1 ? "" : faults[i].brief;
}

/*
 * A head is assembled by appending pieces, not by snprintf: a format
 * string is parsed again on every call, and a head is built for every
 * request. Each append returns where the next one goes, or NULL once the
 * buffer is full (and every later append passes the NULL on).
 */
char *
response_put(char *p, const char *end, const char *s, size_t n)
{
	if (p == NULL || n > (size_t)(end - p))
		return NULL;
	memcpy(p, s, n);
	return p + n;
}

static char *
put(char *p, const char *end, const char *s)
{
	return response_put(p, end, s, strlen(s));
}

char *
response_put_number(char *p, const char *end, long long v)
{
	char digits[24], *d = digits + sizeof(digits);

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return response_put(p, end, d, (size_t)(digits + sizeof(digits) - d));
}

/*
 * A 304 has no body, and RFC 9110 15.4.5 asks for no Content-Type or
 * Content-Length in it: they would describe the file the client already has.
 */
void
response_head(struct http_response *res, const char *type, const char *extra)
{
	char *p = res->head, *end = res->head + sizeof(res->head) - ERROR_PAGE_MAX;

	p = put(p, end, "HTTP/1.1 ");
	p = response_put_number(p, end, res->status);
	p = put(put(p, end, " "), end, http_reason(res->status));
	p = put(put(p, end, "\r\nDate: "), end, date_now());
	p = put(p, end, "\r\nServer: " SERVER_NAME "\r\n");
	if (res->status != HTTP_NOT_MODIFIED) {
		if (type != NULL)
			p = put(put(put(p, end, "Content-Type: "), end, type), end, "\r\n");
		if (!BUG_NO_CONTENT_LENGTH) {
			p = put(p, end, "Content-Length: ");
			p = put(response_put_number(p, end, (long long)res->body_len), end, "\r\n");
		}
	}
	p = put(put(p, end, extra), end, res->keep_alive ?
	        "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
	/* The static assertions above make truncation impossible. */
	assert(p != NULL);
	res->head_len = (size_t)(p - res->head);
	res->fault = HTTP_FAULT_NONE;
}

/* Is the language range s[0..n) Chinese: zh, or zh- and a subtag (zh-CN, zh-Hant)? */
static int
is_chinese(const char *s, size_t n)
{
	return n >= 2 && (s[0] | 0x20) == 'z' && (s[1] | 0x20) == 'h' && (n == 2 || s[2] == '-');
}

/*
 * A qvalue (RFC 9110 12.4.2), "0" to "1", at most three decimals, as
 * thousandths; -1 when it is not one.
 */
static int
qvalue(const char *s, size_t n)
{
	int q = 0, scale = 1000;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && (s[1] != '.' || n > 5)))
		return -1;
	for (i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q = q * 10 + (s[i] - '0');
		scale /= 10;
	}
	q = (s[0] - '0') * 1000 + q * scale;
	return q > 1000 ? -1 : q;
}

/*
 * Which language the request's Accept-Language prefers (RFC 9110 12.5.4):
 * the range with the highest q (the first of equals) decides; Chinese if
 * it is zh or zh-something, English otherwise, and for a request without
 * the header (curl sends none).
 */
enum response_lang
response_lang(const struct http_request *req)
{
	const struct http_header *h;
	const char *p, *end, *range, *param;
	size_t range_len;
	int best = 0, q;
	enum response_lang lang = RESPONSE_EN;

	if (req == NULL)
		return RESPONSE_EN;
	for (h = req->headers; h < req->headers + req->header_count; h++) {
		if (!http_word_is(h->name, h->name_len, "Accept-Language"))
			continue;
		for (p = h->value, end = p + h->value_len; p < end; p++) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			range = p;
			while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			range_len = (size_t)(p - range);
			q = 1000;
			while (p < end && *p != ',') {
				/* ;q=0.8, with white space allowed around the semicolon */
				if (*p == ';' || *p == ' ' || *p == '\t') {
					p++;
					continue;
				}
				param = p;
				while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
					p++;
				if (p - param > 2 && (param[0] | 0x20) == 'q' && param[1] == '=')
					q = qvalue(param + 2, (size_t)(p - param - 2));
			}
			if (range_len > 0 && q > best) {
				best = q;
				lang = is_chinese(range, range_len) ? RESPONSE_ZH : RESPONSE_EN;
			}
		}
	}
	return lang;
}

/*
 * The page's sentence follows the request's Accept-Language, so the
 * response says Vary: Accept-Language: a cache must not hand the Chinese
 * page to a client that asked in English.
 */
void
response_page(struct http_response *res, enum http_status status, enum http_fault fault,
              const char *extra, enum response_body body)
{
	char page[ERROR_PAGE_MAX], lines[RESPONSE_EXTRA_MAX + sizeof(VARY_LANGUAGE)];
	const char *reason = http_reason(status), *sentence;
	enum response_lang lang = response_lang(res->request);
	int i = fault_index(fault), n;
	char *p;

	if (i == -1)
		sentence = why(status, lang);
	else
		sentence = lang == RESPONSE_ZH ? faults[i].zh : faults[i].why;
	n = snprintf(page, sizeof(page),
	             "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	             "<title>%d %s</title></head>\n<body><h1>%d %s</h1>\n"
	             "<p>%s</p>\n<hr><address>%s</address></body></html>\n",
	             lang == RESPONSE_ZH ? "zh-CN" : "en",
	             (int)status, reason, (int)status, reason, sentence, SERVER_NAME);
	assert(n > 0 && (size_t)n < sizeof(page));   /* the texts are ours, and short */
	p = put(put(lines, lines + sizeof(lines), extra), lines + sizeof(lines), VARY_LANGUAGE);
	assert(p != NULL && p < lines + sizeof(lines));   /* extra is at most RESPONSE_EXTRA_MAX */
	*p = '\0';
	res->status = status;
	if (BUG_404_AS_200 && status == HTTP_NOT_FOUND)
		res->status = HTTP_OK;   /* the notes' "404" page, sent as a success */
	res->fd = -1;
	res->file_off = 0;
	res->mem = NULL;
	res->body_len = n;
	response_head(res, "text/html; charset=utf-8", lines);
	res->fault = fault;
	if (body == RESPONSE_BODY) {
		memcpy(res->head + res->head_len, page, (size_t)n);
		res->head_len += (size_t)n;
	}
}

void
response_error(struct http_response *res, const struct http_request *req,
               enum http_status status, enum http_fault fault)
{
	res->keep_alive = 0;
	res->request = req;
	response_page(res, status, fault, "", RESPONSE_BODY);
}

void
response_send_error(int fd, enum http_status status)
{
	struct http_response res;

	response_error(&res, NULL, status, HTTP_FAULT_NONE);
	(void)send(fd, res.head, res.head_len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * The request line as it arrived (after any empty lines), for the log: a
 * request refused or timed out is logged with what the client did send.
 * Bytes that could fool a reader of the log (quotes, control characters,
 * anything outside ASCII) are written as \xHH; a line too long is cut.
 */
static void
log_request_line(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t n = 0;

	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	for (; p < end && *p != '\r' && *p != '\n'; p++) {
		if (n + 8 > size) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (*p >= ' ' && *p < 0x7f && *p != '"' && *p != '\\')
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
	}
	if (n == 0)
		out[n++] = '-';
	out[n] = '\0';
}

/* Built by appending, as the head is: it is written for every request too. */
void
response_log(char *line, size_t size, const char *peer, const char *in,
             size_t in_len, const struct http_response *res, long long bytes)
{
	char request[REQUEST_LINE_MAX], *p = line, *end = line + size - 1;

	log_request_line(request, sizeof(request), in, in_len);
	p = put(put(put(p, end, peer), end, " \""), end, request);
	p = response_put_number(put(p, end, "\" "), end, res->status);
	p = response_put_number(put(p, end, " "), end, bytes < 0 ? 0 : bytes);
	if (res->fault != HTTP_FAULT_NONE)
		p = put(put(p, end, " "), end, response_fault_brief(res->fault));
	/* LOG_LINE_MAX holds any line (asserted above); a smaller size truncates. */
	if (p == NULL)
		p = end;
	*p = '\0';
}

void
response_log_silent(char *line, size_t size, const char *peer, int seconds)
{
	snprintf(line, size, "%s closed: silent for %d s", peer, seconds);
}
