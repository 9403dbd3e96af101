/*
 * A weak crm_record_list_new: the content page for a record type until
 * desk-views' list widget is linked in (see crm_placeholder.h).
 */
#include "crm_placeholder.h"

#include <adwaita.h>
#include <glib/gi18n.h>

__attribute__((weak)) GtkWidget *crm_record_list_new(CrmConn *conn, const char *type) {
	GtkWidget *page = adw_status_page_new();

	adw_status_page_set_icon_name(ADW_STATUS_PAGE(page), "view-list-symbolic");
	adw_status_page_set_title(ADW_STATUS_PAGE(page), type);
	adw_status_page_set_description(ADW_STATUS_PAGE(page),
					_("The list of these records appears here."));
	return page;
}
