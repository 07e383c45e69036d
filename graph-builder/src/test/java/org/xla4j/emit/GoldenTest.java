package org.xla4j.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.Literal;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Exact text for a handful of programs, so every emitter change shows up in review. Regenerate with
 * {@code XLA4J_UPDATE_GOLDENS=1 ./build -pl graph-builder test -Dtest=GoldenTest} and read the diff.
 */
class GoldenTest {
  private static final Path DIR = Path.of("src/test/resources/golden");

  static HloModule softmaxMatmul() {
    ModuleBuilder mb = new ModuleBuilder("softmax_xw");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(TensorType.of(DType.F32, 2, 3));
    Value w = fb.arg(TensorType.of(DType.F32, 3, 4));
    Value y = fb.emit1(new Op.DotGeneral(x, w, DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null));
    Value ninf = fb.emit1(new Op.Constant(Literal.splat(TensorType.scalar(DType.F32), Double.NEGATIVE_INFINITY)));
    Value zero = fb.emit1(new Op.Constant(Literal.splat(TensorType.scalar(DType.F32), 0)));
    Block max = scalarBody(fb, BinaryKind.MAXIMUM);
    Value m = fb.emit1(new Op.Reduce(List.of(y), List.of(ninf), List.of(1), max));
    Value mb2 = fb.emit1(new Op.BroadcastInDim(m, Shape.of(2, 4), List.of(0)));
    Value e = fb.emit1(new Op.Unary(UnaryKind.EXP, fb.emit1(new Op.Binary(BinaryKind.SUBTRACT, y, mb2))));
    Value s = fb.emit1(new Op.Reduce(List.of(e), List.of(zero), List.of(1), scalarBody(fb, BinaryKind.ADD)));
    Value sb = fb.emit1(new Op.BroadcastInDim(s, Shape.of(2, 4), List.of(0)));
    fb.ret(fb.emit1(new Op.Binary(BinaryKind.DIVIDE, e, sb)));
    return mb.build();
  }

  static Block scalarBody(FunctionBuilder fb, BinaryKind kind) {
    TensorType f = TensorType.scalar(DType.F32);
    return fb.region(List.of(f, f), true, a -> List.of(fb.emit1(new Op.Binary(kind, a.get(0), a.get(1)))));
  }

  static HloModule whileCounter() {
    ModuleBuilder mb = new ModuleBuilder("count");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(TensorType.of(DType.BF16, 4));
    TensorType i32 = TensorType.scalar(DType.I32);
    Value zero = fb.emit1(new Op.Constant(Literal.splat(i32, 0)));
    Value one = fb.emit1(new Op.Constant(Literal.splat(i32, 1)));
    Value ten = fb.emit1(new Op.Constant(Literal.splat(i32, 10)));
    Block cond = fb.region(List.of(i32, x.type()), false, a -> List.of(
        fb.emit1(new Op.Compare(Comparison.Direction.LT, Comparison.Type.SIGNED, a.get(0), ten))));
    Block body = fb.region(List.of(i32, x.type()), false, a -> List.of(
        fb.emit1(new Op.Binary(BinaryKind.ADD, a.get(0), one)),
        fb.emit1(new Op.Unary(UnaryKind.TANH, a.get(1)))));
    List<Value> r = fb.emit(new Op.While(List.of(zero, x), cond, body));
    Value k = fb.emit1(new Op.Constant(Literal.of(TensorType.of(DType.BF16, 4), 0.5, -1, 2, 1e-3)));
    fb.ret(r.get(0), fb.emit1(new Op.Binary(BinaryKind.MULTIPLY, r.get(1), k)));
    return mb.build();
  }

  static HloModule sharded() {
    Mesh mesh = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();
    ModuleBuilder mb = new ModuleBuilder("sharded");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(TensorType.of(DType.F32, 8, 16), Sharding.named(mesh, PartitionSpec.of("data", null)));
    Value w = fb.arg(TensorType.of(DType.F32, 16, 32), Sharding.named(mesh, PartitionSpec.of(null, "model")));
    Value y = fb.emit1(new Op.DotGeneral(x, w, DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null));
    Value c = fb.emit1(new Op.ShardingConstraint(y, Sharding.named(mesh, PartitionSpec.of("model", null))));
    fb.ret(List.of(c), List.of(Sharding.named(mesh, PartitionSpec.of(List.of("data", "model"), null))));
    return mb.build();
  }

  @Test
  void softmaxUnsharded() throws IOException {
    check("softmax_xw.mlir", StableHloPrinter.print(softmaxMatmul(), EmitOptions.unsharded()));
  }

  @Test
  void whileLoopBf16() throws IOException {
    check("count.mlir", StableHloPrinter.print(whileCounter(), EmitOptions.unsharded()));
  }

  @Test
  void shardedGspmd() throws IOException {
    check("sharded_gspmd.mlir", StableHloPrinter.print(sharded(), EmitOptions.gspmd()));
  }

  @Test
  void shardedShardy() throws IOException {
    check("sharded_shardy.mlir", StableHloPrinter.print(sharded(), EmitOptions.shardy()));
  }

  @Test
  void shardedProgramPrintsUnshardedForOneDevice() throws IOException {
    check("sharded_none.mlir", StableHloPrinter.print(sharded(), EmitOptions.unsharded()));
  }

  @Test
  void sameGraphTwiceGivesIdenticalText() {
    assertEquals(StableHloPrinter.print(softmaxMatmul(), EmitOptions.shardy()),
        StableHloPrinter.print(softmaxMatmul(), EmitOptions.shardy()));
    assertEquals(StableHloPrinter.print(sharded(), EmitOptions.gspmd()),
        StableHloPrinter.print(sharded(), EmitOptions.gspmd()));
  }

  private static void check(String file, String actual) throws IOException {
    Path p = DIR.resolve(file);
    if (System.getenv("XLA4J_UPDATE_GOLDENS") != null) {
      Files.writeString(p, actual);
    }
    assertEquals(Files.readString(p), actual, "golden " + file + " differs (see the class Javadoc to regenerate)");
  }
}
