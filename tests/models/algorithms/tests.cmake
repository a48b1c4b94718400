list(APPEND models_test_sources algorithms/collective_algorithms_test.cpp algorithms/ring_collectives_test.cpp
     algorithms/tree_all_reduce_test.cpp algorithms/hierarchical_all_reduce_test.cpp algorithms/all_to_all_test.cpp)
