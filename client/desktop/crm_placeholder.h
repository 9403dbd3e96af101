/*
 * The record list page of a type, as desk-views provides it:
 *
 *   GtkWidget *crm_record_list_new(CrmConn *conn, const char *type);
 *
 * The window puts one such page per record type in its content area and
 * forwards Ctrl+F and Ctrl+N to the visible page as the actions
 * "list.filter" and "list.new" (install them with
 * gtk_widget_class_install_action or a "list" action group).
 *
 * crm_placeholder.c defines a weak stand-in (a status page saying the list
 * is coming) so the desktop links before desk-views' list widget is
 * merged; its real, strong definition replaces it at link time.
 */
#ifndef CRM_PLACEHOLDER_H
#define CRM_PLACEHOLDER_H

#include <gtk/gtk.h>

#include "crm_conn.h"

GtkWidget *crm_record_list_new(CrmConn *conn, const char *type);

#endif
