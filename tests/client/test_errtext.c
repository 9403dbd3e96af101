/*
 * Unit test of crm_err_text (client/errtext.c): an error with a message id
 * is shown in the user's language, its arguments in the places the
 * translation puts them; without an id, with an id this client does not
 * know or without a translation, the server's English text. The catalog is
 * po/errors/zh_CN.po compiled at build time into CRM_TEST_LOCALEDIR.
 */
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crmclient.h"

static int failures;

#define CHECK_STR(got, want)                                                               \
	do {                                                                               \
		if (strcmp((got), (want)) != 0) {                                          \
			fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				(got), (want));                                            \
			failures++;                                                        \
		}                                                                          \
	} while (0)

static void use_language(const char *lang) {
	setenv("LANGUAGE", lang, 1);
	setlocale(LC_ALL, "C.UTF-8"); /* gettext reads LANGUAGE again */
}

int main(void) {
	const char *conflict = "account 42 changed since you read it (version 3, now 4): reload and retry";
	const char *args[] = {"account", "42"};
	char buf[CRM_ERR_MSG_MAX];
	crm_err e;

	bindtextdomain("crm", CRM_TEST_LOCALEDIR);
	bind_textdomain_codeset("crm", "UTF-8");

	/* a language without a catalog: English (first: glibc caches what it
	 * found for a domain whatever LANGUAGE says later) */
	use_language("fr");
	crm_err_clear(&e);
	crm_err_setid(&e, CRM_CONFLICT, "version", "record.version_conflict", "account", "42", "3",
		      "4", NULL);
	CHECK_STR(crm_err_text(&e, buf, sizeof(buf)), conflict);

	use_language("zh_CN");

	crm_err_clear(&e);
	crm_err_setid(&e, CRM_CONFLICT, "version", "record.version_conflict", "account", "42", "3",
		      "4", NULL);
	CHECK_STR(e.msg, conflict); /* the English text, as the server makes it */
	CHECK_STR(crm_err_text(&e, buf, sizeof(buf)),
		  "account 42 在您读取之后已被修改（版本 3，现在是 4）：请重新加载后重试");

	/* a translation that puts the arguments in another order */
	crm_err_clear(&e);
	crm_err_setid(&e, CRM_PERMISSION_DENIED, "with_contacts",
		      "record.permission_denied_account_contacts_are", "2", "7", NULL);
	CHECK_STR(crm_err_text(&e, buf, sizeof(buf)),
		  "权限不足：客户 7 的联系人中有 2 个超出了您的角色可重新分配的范围；"
		  "请不带 --with-contacts 重新分配客户，或联系管理员");

	/* cut to the buffer, NUL-terminated */
	crm_err_clear(&e);
	crm_err_setid(&e, CRM_INVALID_ARGUMENT, "x", "wire.required", NULL);
	CHECK_STR(crm_err_text(&e, buf, 7), "为必"); /* 6 bytes: two characters */

	/* no id (a client-side error), an id from a newer server: the text */
	crm_err_clear(&e);
	crm_err_set(&e, CRM_UNAVAILABLE, NULL, "cannot connect");
	CHECK_STR(crm_err_text(&e, buf, sizeof(buf)), "cannot connect");
	crm_err_clear(&e);
	crm_err_set(&e, CRM_NOT_FOUND, "id", "no such gadget 42");
	crm_err_attach_id(&e, "gadget.not_found", args, 2);
	CHECK_STR(crm_err_text(&e, buf, sizeof(buf)), "no such gadget 42");

	return failures ? 1 : 0;
}
