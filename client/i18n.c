/*
 * i18n: choosing the language and finding the catalogs. See i18n.h.
 */
#include "i18n.h"

#include <ctype.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the program runs from: the build tree's locale/ when its binary
 * lies under the build tree, else the installed locale dir. */
static const char *locale_dir(void) {
	const char *env = getenv("CRM_LOCALEDIR");
	static char exe[4096];
	ssize_t n;
	size_t blen = strlen(CRM_BUILD_DIR);

	if (env != NULL && env[0] == '/')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (strncmp(exe, CRM_BUILD_DIR, blen) == 0 && exe[blen] == '/')
			return CRM_BUILD_LOCALEDIR;
	}
	return CRM_LOCALEDIR;
}

static bool is_c_locale(const char *l) {
	return l == NULL || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0;
}

bool crm_i18n_language(const char *profile_locale, char *out, size_t outsz) {
	char lang[4] = "", region[9] = "";
	const char *p = profile_locale, *sub;
	size_t i;

	if (p == NULL)
		return false;
	for (i = 0; isalpha((unsigned char)p[i]) && i < 3; i++)
		lang[i] = (char)tolower((unsigned char)p[i]);
	lang[i] = '\0';
	if (i < 2 || (p[i] != '\0' && p[i] != '-' && p[i] != '_'))
		return false;
	/* the first two-letter subtag after the language is the region */
	for (sub = p + i; *sub == '-' || *sub == '_';) {
		size_t k = strcspn(sub + 1, "-_");
		if (k == 2 && isalpha((unsigned char)sub[1]) && isalpha((unsigned char)sub[2])) {
			region[0] = (char)toupper((unsigned char)sub[1]);
			region[1] = (char)toupper((unsigned char)sub[2]);
			region[2] = '\0';
			break;
		}
		sub += 1 + k;
	}
	/* Chinese without a region (zh, zh-Hans) is Simplified: zh_CN */
	if (region[0] == '\0' && strcmp(lang, "zh") == 0)
		strcpy(region, "CN");
	if (region[0] != '\0')
		snprintf(out, outsz, "%s_%s:%s", lang, region, lang);
	else
		snprintf(out, outsz, "%s", lang);
	return true;
}

bool crm_i18n_posix_locale(const char *profile_locale, char *out, size_t outsz) {
	char language[64];
	size_t n;

	if (!crm_i18n_language(profile_locale, language, sizeof(language)))
		return false;
	n = strcspn(language, ":");
	if (strchr(language, '_') == NULL || n + sizeof(".UTF-8") > outsz)
		return false; /* a language without a region names no locale */
	snprintf(out, outsz, "%.*s.UTF-8", (int)n, language);
	return true;
}

/* The language the environment names (LC_ALL, else LC_MESSAGES, else
 * LANG) without its codeset: "zh_CN.UTF-8" -> "zh_CN"; false if none. */
static bool env_locale_language(char *out, size_t outsz) {
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	const char *v;
	size_t i, n;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i]);
		if (v == NULL || v[0] == '\0')
			continue;
		n = strcspn(v, ".@");
		if (n == 0 || n >= outsz || is_c_locale(v) || strncmp(v, "C.", 2) == 0)
			return false;
		memcpy(out, v, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

void crm_i18n_init(const char *profile_locale) {
	char language[64];
	const char *env_language = getenv("LANGUAGE");

	/* a locale the machine lacks (LANG=zh_CN.UTF-8 not generated) leaves
	 * "C": keep UTF-8, and the language it names for messages */
	if (setlocale(LC_ALL, "") == NULL) {
		setlocale(LC_ALL, "C.UTF-8");
		if ((env_language == NULL || env_language[0] == '\0') &&
		    env_locale_language(language, sizeof(language))) {
			setenv("LANGUAGE", language, 1);
			env_language = getenv("LANGUAGE");
		}
	}
	if (profile_locale != NULL && profile_locale[0] != '\0' &&
	    crm_i18n_language(profile_locale, language, sizeof(language))) {
		setenv("LANGUAGE", language, 1);
		env_language = language;
	}
	/* gettext ignores LANGUAGE under the C locale: messages need some
	 * other locale, and C.UTF-8 is on every machine */
	if (env_language != NULL && env_language[0] != '\0' &&
	    is_c_locale(setlocale(LC_MESSAGES, NULL)))
		setlocale(LC_MESSAGES, "C.UTF-8");
	bindtextdomain(CRM_TEXT_DOMAIN, locale_dir());
	bind_textdomain_codeset(CRM_TEXT_DOMAIN, "UTF-8");
	textdomain(CRM_TEXT_DOMAIN);
}

/* Appends n bytes to the module's buffer; false when out of memory. */
static bool put(char **buf, size_t *cap, size_t *len, const char *p, size_t n) {
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (nb == NULL)
			return false;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

/* Ends of the next up-to-LINES_MAX lines of text; returns how many. */
#define LINES_MAX 24
static size_t line_ends(const char *text, const char *ends[LINES_MAX]) {
	const char *p = text, *nl;
	size_t n = 0;

	while (*p != '\0' && n < LINES_MAX) {
		nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
		ends[n++] = p;
	}
	return n;
}

/* The longest run of whole lines at text with a translation (*used: its
 * length); NULL when no line has one. */
static const char *longest(const char *text, size_t *used) {
	const char *ends[LINES_MAX], *tr;
	char *one;
	size_t n = line_ends(text, ends), k, len;

	*used = 0;
	for (k = n; k > 0; k--) {
		len = (size_t)(ends[k - 1] - text);
		one = strndup(text, len);
		if (one == NULL)
			return NULL;
		tr = _(one);
		if (tr != one) {
			*used = len;
			free(one); /* tr is the catalog's, not one */
			return tr;
		}
		free(one);
	}
	*used = n > 0 ? (size_t)(ends[0] - text) : 0;
	return NULL;
}

const char *crm_i18n_lines(const char *text) {
	static char *buf;
	static size_t cap;
	const char *t, *p, *tr;
	size_t len = 0, used;

	if (text[0] == '\0') /* _("") is the catalog's header */
		return text;
	t = _(text);
	if (t != text)
		return t;
	for (p = text; *p != '\0'; p += used) {
		tr = longest(p, &used);
		if (used == 0)
			break;
		if (!put(&buf, &cap, &len, tr ? tr : p, tr ? strlen(tr) : used))
			return text;
	}
	return len > 0 ? buf : text;
}

const char *crm_i18n_pgettext(const char *ctx, const char *msgid) {
	char key[256];
	const char *t;
	/* gettext's key for a context: ctx EOT msgid */
	int n = snprintf(key, sizeof(key), "%s\004%s", ctx, msgid);

	if (n < 0 || (size_t)n >= sizeof(key))
		return msgid;
	t = _(key);
	return t == key ? msgid : t;
}

const char *crm_i18n_heading(const char *name) { return crm_i18n_pgettext("heading", name); }
