# Qt Test executables of the UI library (pd_ui). Included by
# tests/CMakeLists.txt when present. Offscreen platform unless XVFB.
if(TARGET pd_ui)
  pd_add_test(tst_timelineview LIBS pd_ui TIMEOUT 60)
  pd_add_test(tst_runmodel LIBS pd_ui TIMEOUT 60)
  pd_add_test(tst_charts LIBS pd_ui TIMEOUT 120)
  pd_add_test(tst_enginecontroller LIBS pd_ui TIMEOUT 120)
  pd_add_test(tst_export_ui LIBS pd_ui TIMEOUT 120)
  pd_add_test(tst_distributed_ui LIBS pd_ui TIMEOUT 180)
  if(TARGET pipedream-train)  # real ranks too, where the rank side is built
    target_compile_definitions(tst_distributed_ui PRIVATE PD_TRAIN_EXE="$<TARGET_FILE:pipedream-train>")
    add_dependencies(tst_distributed_ui pipedream-train)
  endif()
  # A real window under Xvfb (falls back to offscreen where xvfb-run is missing).
  pd_add_test(tst_mainwindow LIBS pd_ui XVFB TIMEOUT 120)
  pd_add_test(tst_animation LIBS pd_ui XVFB TIMEOUT 180)
  pd_add_test(tst_animmeasured LIBS pd_ui TIMEOUT 120)
  if(TARGET pipedream-viz)
    target_compile_definitions(tst_export_ui PRIVATE PD_VIZ_EXE="$<TARGET_FILE:pipedream-viz>")
    add_dependencies(tst_export_ui pipedream-viz)
    target_compile_definitions(tst_animation PRIVATE PD_VIZ_EXE="$<TARGET_FILE:pipedream-viz>")
    add_dependencies(tst_animation pipedream-viz)
  endif()
endif()
