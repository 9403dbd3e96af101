# crm-desktop's generic views (desk-views), included from tests/CMakeLists.txt:
# test_desk_views, the data side (CrmMeta, CrmPagedModel) against a live
# crmd without a display, built from the desktop's own sources; run by
# test_views.py (pytest, the integration fixtures), which also drives the
# list and record page under Xvfb through the accessibility tree.
pkg_check_modules(DESK_VIEWS_GIO REQUIRED IMPORTED_TARGET gio-2.0>=2.74)
set(DESK_DIR ${PROJECT_SOURCE_DIR}/client/desktop)
add_executable(test_desk_views ${CMAKE_CURRENT_LIST_DIR}/test_desk_views.c
  ${DESK_DIR}/crm_conn.c ${DESK_DIR}/crm_meta.c ${DESK_DIR}/crm_paged_model.c)
target_include_directories(test_desk_views PRIVATE ${DESK_DIR})
target_compile_definitions(test_desk_views PRIVATE GETTEXT_PACKAGE="crm"
  GLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74)
target_link_libraries(test_desk_views PRIVATE crmclient crmconfig crmoutput
  PkgConfig::DESK_VIEWS_GIO crm_warnings)
if(NOT DEFINED CRM_PYTHON)
  set(CRM_PYTHON "/usr/bin/python3")
endif()
add_test(NAME desktop_views
  COMMAND ${CRM_PYTHON} -m pytest -q -p no:cacheprovider -o console_output_style=classic
    ${CMAKE_CURRENT_LIST_DIR}/test_views.py)
set_tests_properties(desktop_views PROPERTIES LABELS "desktop" TIMEOUT 600
  ENVIRONMENT "CRM_BUILD_DIR=${PROJECT_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1")
