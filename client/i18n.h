/*
 * i18n: gettext for the clients (`crm` and `crm-desktop` share the text
 * domain "crm", po/). _() translates at the call, N_() only marks a
 * literal for xgettext, ngettext picks the plural form. See docs/i18n.md.
 *
 * crm_i18n_init is called once by a program's main, before any text is
 * printed; the libraries only call gettext on the domain (dgettext).
 * Not thread-safe (setlocale, setenv); call it before starting threads.
 */
#ifndef CRM_I18N_H
#define CRM_I18N_H

#include <libintl.h>
#include <stddef.h>

#define CRM_TEXT_DOMAIN "crm"

#ifndef _
#define _(s) dgettext(CRM_TEXT_DOMAIN, s)
#endif
#ifndef N_
#define N_(s) s /* marks text for translation (xgettext -kN_) */
#endif
#ifndef NC_
#define NC_(ctx, s) s /* marks text with a context (xgettext -kNC_:1c,2) */
#endif
#define crm_ngettext(one, many, n) dngettext(CRM_TEXT_DOMAIN, one, many, n)

/*
 * Sets the locale from the environment (setlocale(LC_ALL, "")) and binds
 * the domain to the catalogs: the build tree's when the program runs from
 * the build tree, else the installed ones ($CRM_LOCALEDIR overrides both).
 *
 * profile_locale is the user's locale from the server (crm.users.locale,
 * "zh-CN"; NULL or "" when unknown): when given it wins over the
 * environment for messages (LANGUAGE is set to it). Messages are always
 * produced in UTF-8.
 */
void crm_i18n_init(const char *profile_locale);

/*
 * The profile locale as a gettext language list ("zh-CN" -> "zh_CN",
 * "zh" or "zh-Hans" -> "zh_CN"); false if it does not look like one.
 */
_Bool crm_i18n_language(const char *profile_locale, char *out, size_t outsz);

/*
 * The POSIX locale a profile locale stands for, in UTF-8 ("zh-CN" ->
 * "zh_CN.UTF-8"; "zh" -> "zh_CN.UTF-8"); false when it names no region
 * ("en") or does not look like a locale. Whether the machine has it is
 * for setlocale to say.
 */
_Bool crm_i18n_posix_locale(const char *profile_locale, char *out, size_t outsz);

/*
 * Text made of lines whose parts were marked one by one with N_() (help
 * built from macros and generated lines): the whole text if the catalog
 * has it, else from each line on the longest run of whole lines that has a
 * translation (a line without one stays as it is). The result lives in a
 * buffer owned by the module until the next call.
 */
const char *crm_i18n_lines(const char *text);

/*
 * The table heading of a column name ("created_at"): its translation in
 * the context "heading" (client/crm/headings.c marks them), else the name
 * itself. The result is the catalog's or name.
 */
const char *crm_i18n_heading(const char *name);

/* msgid translated in the context ctx (marked NC_(ctx, msgid)), else
 * msgid itself. */
const char *crm_i18n_pgettext(const char *ctx, const char *msgid);

#endif
