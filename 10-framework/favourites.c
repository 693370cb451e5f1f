/*
 * favourites.c: the notes' application (四): the provinces, and favourites
 * (收藏) with a remark (备注) each, at the notes' URLs. Plus POST /echo,
 * the request of notes 1.3 shown as the server received it.
 *
 *	GET  /show.py                 the provinces, each with an add button (已收藏, disabled, once added)
 *	POST /show/<id>.py            add to the favourites, then 303 to /collect.py
 *	                              (to /collect.py?already=<id> if it was there: 您已经收藏了)
 *	GET  /collect.py              the favourites, a remark form and a delete button each
 *	POST /collect/<id>.py         delete, then 303 to /collect.py
 *	POST /collect/<id>/note.py    set the remark (a urlencoded form), then 303
 *	POST /echo                    the request's method, headers and body, as text
 *
 * What differs from the notes' dynamic_decorator.py, point by point:
 * changes are POSTed by forms, never made by GET links (a crawler or a
 * browser's prefetch follows links); after a change the answer is 303 See
 * Other, so reloading the page does not repeat the change; an unknown id
 * is a real 404 (the notes answer 200 with "行行好，大哥手下留情"); every
 * value that reaches a page goes through fw_escape; every link is written
 * from the root ("/collect.py"), so it means the same on every page (the
 * notes' point (8)); and the data files are found from the stage
 * directory the binary was built for, never from the working directory
 * (point (10)). What the application says, it says in Chinese, as the
 * notes' pages do; only the status line keeps HTTP's English reason.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "framework.h"
#include "store.h"

#define PROVINCES_FILE  STAGE_DIR "/provinces.txt"
#define PROVINCES_MAX   64
#define NAME_MAX_BYTES  64

struct province {
	int id, pid, level;
	char name[NAME_MAX_BYTES];
};

static struct province provinces[PROVINCES_MAX];
static size_t province_count;

const char site_nav[] =
	"<nav><a href=\"/show.py\">展示页面</a> <a href=\"/collect.py\">个人收藏</a>"
	" <a href=\"/\">首页</a></nav>\n";

/* One "id<TAB>pid<TAB>name<TAB>level" line of provinces.txt. */
static int
province_parse(char *line, struct province *p)
{
	char *f[4], *save = NULL, *end;
	long v[3];
	int i;

	for (i = 0; i < 4; i++)
		if ((f[i] = strtok_r(i == 0 ? line : NULL, "\t\n", &save)) == NULL)
			return -1;
	for (i = 0; i < 3; i++) {
		v[i] = strtol(f[i == 2 ? 3 : i], &end, 10);
		if (*end != '\0' || v[i] < 0 || v[i] > 999999)
			return -1;
	}
	if (v[0] == 0 || strlen(f[2]) >= sizeof(p->name) ||
	    !form_utf8_valid((unsigned char *)f[2], strlen(f[2])))
		return -1;
	p->id = (int)v[0];
	p->pid = (int)v[1];
	p->level = (int)v[2];
	strcpy(p->name, f[2]);
	return 0;
}

static void
provinces_load(const char *path)
{
	char line[256];
	int n = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (province_count == PROVINCES_MAX ||
		    province_parse(line, &provinces[province_count]) == -1)
			errx(1, "%s:%d: expected id, pid, name, level separated by tabs", path, n);
		province_count++;
	}
	fclose(fp);
}

void
site_open(const char *state_dir)
{
	provinces_load(PROVINCES_FILE);
	store_open(state_dir);
}

void
site_close(void)
{
	store_close();
}

/* The province with this district_id, from the group a route captured. */
static const struct province *
province_find(const char *digits)
{
	size_t i;

	/* The route matched [0-9]+; more than 6 digits is no district_id. */
	if (strlen(digits) > 6)
		return NULL;
	for (i = 0; i < province_count; i++)
		if (provinces[i].id == atoi(digits))
			return &provinces[i];
	return NULL;
}

static void
store_failed(struct request *req, enum store_status st)
{
	if (st == STORE_NOT_FOUND)
		fw_error(req, 404, "这个省份不在您的收藏里。");
	else if (st == STORE_FULL)
		fw_error(req, 500, "收藏已满，不能再添加。");
	else
		fw_error(req, 500, "保存失败：什么都没有改变，请再试一次。");
}

static void
province_cells(struct request *req, const struct province *p)
{
	fw_write(req, "<td>");
	fw_int(req, p->id);
	fw_write(req, "</td><td>");
	fw_int(req, p->pid);
	fw_write(req, "</td><td>");
	fw_escape(req, p->name, strlen(p->name));
	fw_write(req, "</td><td>");
	fw_int(req, p->level);
	fw_write(req, "</td>");
}

ROUTE("GET", "/show.py", show_page)
{
	struct favourite *favs = malloc(sizeof(*favs) * FAVOURITES_MAX);
	int n = favs == NULL ? -1 : store_list(favs, FAVOURITES_MAX), i;
	size_t k;

	if (n < 0) {
		free(favs);
		fw_error(req, 503, "内存不足，请稍后再试。");
		return;
	}
	fw_page_begin(req, 200, "省份");
	fw_write(req, "<table>\n<tr><th>district_id</th><th>pid</th><th>district</th>"
	         "<th>level</th><th>添加自选</th></tr>\n");
	for (k = 0; k < province_count; k++) {
		const struct province *p = &provinces[k];

		for (i = 0; i < n && favs[i].id != p->id; i++)
			;
		fw_write(req, "<tr>");
		province_cells(req, p);
		fw_write(req, "<td><form method=\"post\" action=\"/show/");
		fw_int(req, p->id);
		/* Added already: the button stays, disabled, so that it cannot post. */
		fw_write(req, i < n ? ".py\"><button disabled>已收藏</button></form></td></tr>\n" :
		         ".py\"><button>收藏</button></form></td></tr>\n");
	}
	fw_write(req, "</table>\n");
	fw_page_end(req);
	free(favs);
}

ROUTE_RE("POST", "/show/([0-9]+)\\.py", show_add)
{
	const struct province *p = province_find(req->group[1]);
	enum store_status st;
	char already[32];

	if (p == NULL) {
		fw_error(req, 404, "没有这个 district_id 的省份。");
		return;
	}
	st = store_add(p->id);
	if (st == STORE_ALREADY) {
		/* The notes' 您已经收藏了: said on the favourites page, after a 303 as ever. */
		snprintf(already, sizeof(already), "/collect.py?already=%d", p->id);
		fw_redirect(req, already);
	} else if (st != STORE_OK) {
		store_failed(req, st);
	} else {
		fw_redirect(req, "/collect.py");
	}
}

/* One favourite's row: the province, its remark, a remark form, a delete button. */
static void
favourite_row(struct request *req, const struct favourite *f)
{
	char id[16];
	const struct province *p;

	snprintf(id, sizeof(id), "%d", f->id);
	if ((p = province_find(id)) == NULL)
		return;   /* provinces.txt lost a line since: nothing to show */
	fw_write(req, "<tr>");
	province_cells(req, p);
	fw_write(req, "<td class=\"remark\">");
	fw_escape(req, f->remark, f->remark_len);
	fw_printf(req, "</td><td><form method=\"post\" action=\"/collect/%d/note.py\" "
	          "accept-charset=\"utf-8\"><textarea name=\"remark\" rows=\"2\" "
	          "cols=\"24\">\n", f->id);
	/* The newline above is eaten by the HTML parser, so one in the remark is not. */
	fw_escape(req, f->remark, f->remark_len);
	fw_printf(req, "</textarea> <button>保存备注</button></form></td>"
	          "<td><form method=\"post\" action=\"/collect/%d.py\">"
	          "<button>删除</button></form></td></tr>\n", f->id);
}

/*
 * After adding a favourite that was there already (?already=<id>), say so,
 * as the notes do, if it still is one.
 */
static void
already_notice(struct request *req, const struct favourite *favs, int n)
{
	const char *query = req->env->query;
	char id[8];
	size_t len;
	const struct province *p;
	int i;

	if (form_field((const unsigned char *)query, strlen(query), "already", id, sizeof(id),
	               &len) != FORM_OK || len == 0 || strspn(id, "0123456789") != len ||
	    (p = province_find(id)) == NULL)
		return;
	for (i = 0; i < n && favs[i].id != p->id; i++)
		;
	if (i == n)
		return;
	fw_write(req, "<p class=\"notice\">您已经收藏了");
	fw_escape(req, p->name, strlen(p->name));
	fw_write(req, "，请勿重复收藏。</p>\n");
}

ROUTE("GET", "/collect.py", collect_page)
{
	struct favourite *favs = malloc(sizeof(*favs) * FAVOURITES_MAX);
	int n = favs == NULL ? -1 : store_list(favs, FAVOURITES_MAX), i;

	if (n < 0) {
		free(favs);
		fw_error(req, 503, "内存不足，请稍后再试。");
		return;
	}
	fw_page_begin(req, 200, "个人收藏");
	already_notice(req, favs, n);
	fw_write(req, "<table>\n<tr><th>district_id</th><th>pid</th><th>district</th>"
	         "<th>level</th><th>备注</th><th>修改备注</th><th>删除</th></tr>\n");
	for (i = 0; i < n; i++)
		favourite_row(req, &favs[i]);
	if (n == 0)
		fw_write(req, "<tr><td colspan=\"7\">还没有收藏</td></tr>\n");
	fw_write(req, "</table>\n");
	fw_page_end(req);
	free(favs);
}

ROUTE_RE("POST", "/collect/([0-9]+)\\.py", collect_delete)
{
	const struct province *p = province_find(req->group[1]);
	enum store_status st = p == NULL ? STORE_NOT_FOUND : store_delete(p->id);

	if (st != STORE_OK)
		store_failed(req, st);
	else
		fw_redirect(req, "/collect.py");
}

/* Text a remark may hold: UTF-8, and of the control characters only TAB, LF, CR. */
static const char *
remark_problem(const char *s, size_t len)
{
	size_t i;

	if (!form_utf8_valid((const unsigned char *)s, len))
		return "备注不是有效的 UTF-8 文本。";
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < ' ' && !strchr("\t\n\r", s[i])) || s[i] == 0x7f)
			return "备注里有控制字符（只允许制表符和换行）。";
	return NULL;
}

ROUTE_RE("POST", "/collect/([0-9]+)/note\\.py", collect_note)
{
	static const char urlencoded[] = "application/x-www-form-urlencoded";
	const char *type = fw_header(req, "Content-Type"), *problem;
	const struct province *p = province_find(req->group[1]);
	char remark[REMARK_MAX + 1];
	size_t len;
	enum form_status fs;
	enum store_status st;

	if (type == NULL || strncasecmp(type, urlencoded, sizeof(urlencoded) - 1) != 0 ||
	    (type[sizeof(urlencoded) - 1] != '\0' && type[sizeof(urlencoded) - 1] != ';')) {
		fw_error(req, 415, "备注要用表单提交（application/x-www-form-urlencoded）。");
		return;
	}
	fs = form_field(req->env->body, req->env->body_len, "remark", remark, sizeof(remark), &len);
	if (fs != FORM_OK) {
		fw_error(req, 400, fs == FORM_MISSING ? "表单里没有 remark 这一项。" :
		         fs == FORM_TOO_LONG ? "备注太长：最多 1000 字节（约 333 个汉字）。" :
		         "备注的编码不对：% 后面要跟两个十六进制数字，也不能是 %00。");
		return;
	}
	if ((problem = remark_problem(remark, len)) != NULL) {
		fw_error(req, 400, problem);
		return;
	}
	st = p == NULL ? STORE_NOT_FOUND : store_note(p->id, remark, len);
	if (st != STORE_OK)
		store_failed(req, st);
	else
		fw_redirect(req, "/collect.py");
}

/* Notes 1.3: what did the server receive? Everything, as plain text. */
ROUTE("POST", "/echo", echo)
{
	const struct app_environ *env = req->env;
	size_t i;

	fw_start(req, 200, FW_TEXT);
	fw_write(req, env->method);
	fw_write(req, " ");
	fw_write(req, env->path);
	if (env->query[0] != '\0') {
		fw_write(req, "?");
		fw_write(req, env->query);
	}
	fw_write(req, " ");
	fw_write(req, env->protocol);
	fw_write(req, "\n");
	for (i = 0; i < env->header_count; i++)
		fw_printf(req, "%s: %s\n", env->headers[i].name, env->headers[i].value);
	fw_write(req, "\n");
	fw_write_n(req, env->body, env->body_len);
}
