/*
 * CrmApplication: the AdwApplication of crm-desktop. It owns the app-wide
 * actions (quit, about) and their keyboard shortcuts, and opens one
 * CrmWindow. Main thread only.
 */
#ifndef CRM_APPLICATION_H
#define CRM_APPLICATION_H

#include <adwaita.h>

G_BEGIN_DECLS

#define CRM_APP_ID "org.crm.Desktop"

#define CRM_TYPE_APPLICATION (crm_application_get_type())
G_DECLARE_FINAL_TYPE(CrmApplication, crm_application, CRM, APPLICATION, AdwApplication)

CrmApplication *crm_application_new(void);

G_END_DECLS

#endif
