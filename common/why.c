/*
 * why.c: what an error page says to a person, and in which language.
 *
 * A status line is for programs ("404 Not Found", as RFC 9110 spells it);
 * the page under it is for the person who typed the request, and says in a
 * sentence what went wrong: the rule the parser found broken (a missing
 * Host, a byte that must be percent-encoded), or what the status means.
 * Every sentence is here in English and Chinese, beside the few words the
 * access log gives the same fault. Which language a page speaks is the
 * request's to say, in Accept-Language (RFC 9110 12.5.4).
 */
#include <stddef.h>

#include "param.h"
#include "why.h"

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

const char *
why_status(enum http_status status, enum why_lang lang)
{
	size_t i;

	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (whys[i].code == status)
			return lang == WHY_ZH ? whys[i].zh : whys[i].why;
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
why_brief(enum http_fault fault)
{
	int i = fault_index(fault);

	return i == -1 ? "" : faults[i].brief;
}

const char *
why_fault(enum http_fault fault, enum why_lang lang)
{
	int i = fault_index(fault);

	if (i == -1)
		return "";
	return lang == WHY_ZH ? faults[i].zh : faults[i].why;
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
enum why_lang
why_lang(const struct http_request *req)
{
	const struct http_header *h;
	const char *p, *end, *range, *param;
	size_t range_len;
	int best = 0, q;
	enum why_lang lang = WHY_EN;

	if (req == NULL)
		return WHY_EN;
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
				lang = is_chinese(range, range_len) ? WHY_ZH : WHY_EN;
			}
		}
	}
	return lang;
}

