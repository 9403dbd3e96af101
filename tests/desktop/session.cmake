# crm-desktop's session and the user's profile (desk-locale), included from
# tests/desktop/CMakeLists.txt: test_desk_session (C, no display: CrmConn and
# crm_display against a live crmd: the profile's time zone and locale, the
# locale kept for the next start, Log Out sent to crmd), run by
# test_desk_session.py, which also starts the desktop under Xvfb for the
# language of the next start (skipped without a display).
set(DESK_DIR ${PROJECT_SOURCE_DIR}/client/desktop)
add_executable(test_desk_session ${CMAKE_CURRENT_LIST_DIR}/test_desk_session.c
  ${DESK_DIR}/crm_conn.c ${DESK_DIR}/crm_display.c)
target_include_directories(test_desk_session PRIVATE ${DESK_DIR}
  ${PROJECT_SOURCE_DIR}/tests/client) # checks.h
target_compile_definitions(test_desk_session PRIVATE GETTEXT_PACKAGE="crm"
  GLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74)
target_link_libraries(test_desk_session PRIVATE crmclient crmconfig crmoutput
  PkgConfig::DESK_VIEWS_GIO crm_warnings)
add_test(NAME desktop_session
  COMMAND ${DESK_VIEWS_WRAP} ${CRM_PYTHON} -m pytest -q -p no:cacheprovider -o console_output_style=classic
    ${CMAKE_CURRENT_LIST_DIR}/test_desk_session.py)
set_tests_properties(desktop_session PROPERTIES LABELS "desktop" TIMEOUT 300
  ENVIRONMENT "CRM_BUILD_DIR=${PROJECT_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1;CRM_ARTIFACTS_DIR=${CMAKE_CURRENT_BINARY_DIR}/artifacts")
