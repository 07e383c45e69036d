module @count attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%arg0: tensor<4xbf16>) -> (tensor<i32>, tensor<4xbf16>) {
    %0 = "stablehlo.constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
    %1 = "stablehlo.constant"() <{value = dense<1> : tensor<i32>}> : () -> tensor<i32>
    %2 = "stablehlo.constant"() <{value = dense<10> : tensor<i32>}> : () -> tensor<i32>
    %3:2 = "stablehlo.while"(%0, %arg0) ({
      ^bb0(%4: tensor<i32>, %5: tensor<4xbf16>):
        %6 = "stablehlo.compare"(%4, %2) <{comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type SIGNED>}> : (tensor<i32>, tensor<i32>) -> tensor<i1>
        "stablehlo.return"(%6) : (tensor<i1>) -> ()
    }, {
      ^bb0(%7: tensor<i32>, %8: tensor<4xbf16>):
        %9 = "stablehlo.add"(%7, %1) : (tensor<i32>, tensor<i32>) -> tensor<i32>
        %10 = "stablehlo.tanh"(%8) : (tensor<4xbf16>) -> tensor<4xbf16>
        "stablehlo.return"(%9, %10) : (tensor<i32>, tensor<4xbf16>) -> ()
    }) : (tensor<i32>, tensor<4xbf16>) -> (tensor<i32>, tensor<4xbf16>)
    %11 = "stablehlo.constant"() <{value = dense<"0x003F80BF0040833A"> : tensor<4xbf16>}> : () -> tensor<4xbf16>
    %12 = "stablehlo.multiply"(%3#1, %11) : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
    "func.return"(%3#0, %12) : (tensor<i32>, tensor<4xbf16>) -> ()
  }
}
