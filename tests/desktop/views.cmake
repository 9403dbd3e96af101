# crm-desktop's generic views (desk-views), included from tests/desktop/CMakeLists.txt:
# test_desk_views, the data side (CrmMeta, CrmPagedModel) against a live
# crmd without a display, built from the desktop's own sources; run by
# test_views.py (pytest, the integration fixtures), which also drives the
# list and record page under Xvfb through the accessibility tree.
pkg_check_modules(DESK_VIEWS_GIO REQUIRED IMPORTED_TARGET gio-2.0>=2.74)
set(DESK_DIR ${PROJECT_SOURCE_DIR}/client/desktop)
add_executable(test_desk_views ${CMAKE_CURRENT_LIST_DIR}/test_desk_views.c
  ${DESK_DIR}/crm_conn.c ${DESK_DIR}/crm_meta.c ${DESK_DIR}/crm_paged_model.c)
target_include_directories(test_desk_views PRIVATE ${DESK_DIR}
  ${PROJECT_SOURCE_DIR}/tests/client) # checks.h
target_compile_definitions(test_desk_views PRIVATE GETTEXT_PACKAGE="crm"
  GLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74)
target_link_libraries(test_desk_views PRIVATE crmclient crmconfig crmoutput
  PkgConfig::DESK_VIEWS_GIO crm_warnings)
if(NOT DEFINED CRM_PYTHON)
  set(CRM_PYTHON "/usr/bin/python3")
endif()
# under Xvfb with a private D-Bus session (the accessibility bus), when
# there; else the screen test skips itself
find_program(XVFB_RUN xvfb-run)
find_program(DBUS_RUN_SESSION dbus-run-session)
set(DESK_VIEWS_WRAP)
if(XVFB_RUN AND DBUS_RUN_SESSION)
  set(DESK_VIEWS_WRAP ${XVFB_RUN} -a -s "-screen 0 1280x800x24" ${DBUS_RUN_SESSION} --)
endif()
add_test(NAME desktop_views
  COMMAND ${DESK_VIEWS_WRAP} ${CRM_PYTHON} -m pytest -q -p no:cacheprovider -o console_output_style=classic
    ${CMAKE_CURRENT_LIST_DIR}/test_views.py)
set_tests_properties(desktop_views PROPERTIES LABELS "desktop" TIMEOUT 600
  COST 110 # seconds under ASan in CI: started early (tests/integration/CMakeLists.txt)
  ENVIRONMENT "CRM_BUILD_DIR=${PROJECT_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1;CRM_ARTIFACTS_DIR=${CMAKE_CURRENT_BINARY_DIR}/artifacts")
