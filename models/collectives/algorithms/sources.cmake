target_sources(dsim_models PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/collective_algorithms.cpp
  ${CMAKE_CURRENT_LIST_DIR}/algorithm_parts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/all_to_all.cpp
  ${CMAKE_CURRENT_LIST_DIR}/send_recv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ring_collectives.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tree_all_reduce.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hierarchical_all_reduce.cpp)
