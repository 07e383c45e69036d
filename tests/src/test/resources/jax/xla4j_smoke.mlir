module @smoke attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<4x8xf32>, %arg1: tensor<8x4xf32>) -> (tensor<4xi32>, tensor<4x4xbf16>, tensor<4x4xi32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x4xf32>, tensor<3x12xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4xi32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<2x2xi1>, tensor<2xf16>) {
    %0 = "stablehlo.dot_general"(%arg0, %arg1) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]}> : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
    %1 = "stablehlo.constant"() <{value = dense<"0x0000803F00002040000040C0ACC52737"> : tensor<4xf32>}> : () -> tensor<4xf32>
    %2 = "stablehlo.broadcast_in_dim"(%1) <{broadcast_dimensions = array<i64: 1>}> : (tensor<4xf32>) -> tensor<4x4xf32>
    %3 = "stablehlo.add"(%0, %2) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %4 = "stablehlo.iota"() <{iota_dimension = 1 : i64}> : () -> tensor<4x4xi32>
    %5 = "stablehlo.constant"() <{value = dense<0xFF800000> : tensor<f32>}> : () -> tensor<f32>
    %6 = "stablehlo.constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
    %7:2 = "stablehlo.reduce"(%3, %4, %5, %6) <{dimensions = array<i64: 1>}> ({
      ^bb0(%8: tensor<f32>, %9: tensor<i32>, %10: tensor<f32>, %11: tensor<i32>):
        %12 = "stablehlo.compare"(%8, %10) <{comparison_direction = #stablehlo<comparison_direction GT>, compare_type = #stablehlo<comparison_type FLOAT>}> : (tensor<f32>, tensor<f32>) -> tensor<i1>
        %13 = "stablehlo.select"(%12, %8, %10) : (tensor<i1>, tensor<f32>, tensor<f32>) -> tensor<f32>
        %14 = "stablehlo.select"(%12, %9, %11) : (tensor<i1>, tensor<i32>, tensor<i32>) -> tensor<i32>
        "stablehlo.return"(%13, %14) : (tensor<f32>, tensor<i32>) -> ()
    }) : (tensor<4x4xf32>, tensor<4x4xi32>, tensor<f32>, tensor<i32>) -> (tensor<4xf32>, tensor<4xi32>)
    %15 = "stablehlo.constant"() <{value = dense<[[true, false], [false, true]]> : tensor<2x2xi1>}> : () -> tensor<2x2xi1>
    %16 = "stablehlo.convert"(%3) : (tensor<4x4xf32>) -> tensor<4x4xbf16>
    %17 = "stablehlo.bitcast_convert"(%3) : (tensor<4x4xf32>) -> tensor<4x4xi32>
    %18:2 = "chlo.top_k"(%3) <{k = 2 : i64}> : (tensor<4x4xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>)
    %19 = "stablehlo.transpose"(%3) <{permutation = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
    %20 = "stablehlo.slice"(%19) <{start_indices = array<i64: 0, 0>, limit_indices = array<i64: 4, 4>, strides = array<i64: 2, 1>}> : (tensor<4x4xf32>) -> tensor<2x4xf32>
    %21 = "stablehlo.dynamic_slice"(%19, %6, %6) <{slice_sizes = array<i64: 2, 2>}> : (tensor<4x4xf32>, tensor<i32>, tensor<i32>) -> tensor<2x2xf32>
    %22 = "stablehlo.dynamic_update_slice"(%19, %21, %6, %6) : (tensor<4x4xf32>, tensor<2x2xf32>, tensor<i32>, tensor<i32>) -> tensor<4x4xf32>
    %23 = "stablehlo.concatenate"(%20, %21) <{dimension = 1 : i64}> : (tensor<2x4xf32>, tensor<2x2xf32>) -> tensor<2x6xf32>
    %24 = "stablehlo.pad"(%23, %5) <{edge_padding_low = array<i64: 1, 0>, edge_padding_high = array<i64: 0, 1>, interior_padding = array<i64: 0, 1>}> : (tensor<2x6xf32>, tensor<f32>) -> tensor<3x12xf32>
    %25 = "stablehlo.reverse"(%24) <{dimensions = array<i64: 0>}> : (tensor<3x12xf32>) -> tensor<3x12xf32>
    %26 = "stablehlo.sort"(%3) <{dimension = 1 : i64, is_stable = true}> ({
      ^bb0(%27: tensor<f32>, %28: tensor<f32>):
        %29 = "stablehlo.compare"(%27, %28) <{comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type FLOAT>}> : (tensor<f32>, tensor<f32>) -> tensor<i1>
        "stablehlo.return"(%29) : (tensor<i1>) -> ()
    }) : (tensor<4x4xf32>) -> tensor<4x4xf32>
    %30 = "stablehlo.constant"() <{value = dense<"0x020000000000000003000000"> : tensor<3x1xi32>}> : () -> tensor<3x1xi32>
    %31 = "stablehlo.gather"(%3, %30) <{dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 4>}> : (tensor<4x4xf32>, tensor<3x1xi32>) -> tensor<3x4xf32>
    %32 = "stablehlo.scatter"(%3, %30, %31) <{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = false}> ({
      ^bb0(%33: tensor<f32>, %34: tensor<f32>):
        %35 = "stablehlo.add"(%33, %34) : (tensor<f32>, tensor<f32>) -> tensor<f32>
        "stablehlo.return"(%35) : (tensor<f32>) -> ()
    }) : (tensor<4x4xf32>, tensor<3x1xi32>, tensor<3x4xf32>) -> tensor<4x4xf32>
    %36 = "stablehlo.constant"() <{value = dense<5> : tensor<i32>}> : () -> tensor<i32>
    %37 = "stablehlo.constant"() <{value = dense<1> : tensor<i32>}> : () -> tensor<i32>
    %38:2 = "stablehlo.while"(%6, %3) ({
      ^bb0(%39: tensor<i32>, %40: tensor<4x4xf32>):
        %41 = "stablehlo.compare"(%39, %36) <{comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type SIGNED>}> : (tensor<i32>, tensor<i32>) -> tensor<i1>
        "stablehlo.return"(%41) : (tensor<i1>) -> ()
    }, {
      ^bb0(%42: tensor<i32>, %43: tensor<4x4xf32>):
        %44 = "stablehlo.add"(%42, %37) : (tensor<i32>, tensor<i32>) -> tensor<i32>
        %45 = "stablehlo.add"(%43, %43) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
        "stablehlo.return"(%44, %45) : (tensor<i32>, tensor<4x4xf32>) -> ()
    }) : (tensor<i32>, tensor<4x4xf32>) -> (tensor<i32>, tensor<4x4xf32>)
    %46 = "stablehlo.compare"(%6, %6) <{comparison_direction = #stablehlo<comparison_direction EQ>, compare_type = #stablehlo<comparison_type SIGNED>}> : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %47 = "stablehlo.if"(%46) ({
        "stablehlo.return"(%3) : (tensor<4x4xf32>) -> ()
    }, {
        "stablehlo.return"(%19) : (tensor<4x4xf32>) -> ()
    }) : (tensor<i1>) -> tensor<4x4xf32>
    %48 = "stablehlo.case"(%37) ({
        "stablehlo.return"(%3) : (tensor<4x4xf32>) -> ()
    }, {
        "stablehlo.return"(%19) : (tensor<4x4xf32>) -> ()
    }) : (tensor<i32>) -> tensor<4x4xf32>
    %49 = "stablehlo.constant"() <{value = dense<"0x2A000000000000000700000000000000"> : tensor<2xui64>}> : () -> tensor<2xui64>
    %50:2 = "stablehlo.rng_bit_generator"(%49) <{rng_algorithm = #stablehlo<rng_algorithm THREE_FRY>}> : (tensor<2xui64>) -> (tensor<2xui64>, tensor<4xui32>)
    %51 = "stablehlo.bitcast_convert"(%50#1) : (tensor<4xui32>) -> tensor<4xi32>
    %52:2 = "stablehlo.optimization_barrier"(%3, %4) : (tensor<4x4xf32>, tensor<4x4xi32>) -> (tensor<4x4xf32>, tensor<4x4xi32>)
    %53 = "stablehlo.slice"(%3) <{start_indices = array<i64: 0, 0>, limit_indices = array<i64: 1, 4>, strides = array<i64: 1, 1>}> : (tensor<4x4xf32>) -> tensor<1x4xf32>
    %54 = "stablehlo.reshape"(%53) : (tensor<1x4xf32>) -> tensor<4xf32>
    %55 = "func.call"(%54) <{callee = @helper}> : (tensor<4xf32>) -> tensor<4xf32>
    %56 = "stablehlo.logistic"(%3) : (tensor<4x4xf32>) -> tensor<4x4xf32>
    %57 = "stablehlo.clamp"(%5, %3, %5) : (tensor<f32>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
    %58 = "stablehlo.constant"() <{value = dense<0.0999755859375> : tensor<2xf16>}> : () -> tensor<2xf16>
    "func.return"(%7#1, %16, %17, %18#0, %18#1, %22, %25, %26, %32, %38#1, %47, %48, %51, %52#0, %55, %56, %57, %3, %15, %58) : (tensor<4xi32>, tensor<4x4xbf16>, tensor<4x4xi32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x4xf32>, tensor<3x12xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4xi32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<2x2xi1>, tensor<2xf16>) -> ()
  }
  func.func private @helper(%arg0: tensor<4xf32>) -> (tensor<4xf32>) {
    %0 = "chlo.erf"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
    "func.return"(%0) : (tensor<4xf32>) -> ()
  }
}
