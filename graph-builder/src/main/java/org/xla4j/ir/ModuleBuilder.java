package org.xla4j.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a module of functions. Device counts are not set here: a {@code Program} derives them from
 * the shardings' meshes.
 *
 * <pre>{@code
 * ModuleBuilder mb = new ModuleBuilder("model");
 * FunctionBuilder main = mb.function("main");
 * ...
 * HloModule m = mb.build();
 * }</pre>
 */
public final class ModuleBuilder {
  private final String name;
  private final Map<String, FunctionBuilder> open = new LinkedHashMap<>();
  private final Map<String, Func> done = new LinkedHashMap<>();

  public ModuleBuilder(String name) {
    if (!name.matches("[A-Za-z_][A-Za-z0-9_$.]*")) {
      throw new IllegalArgumentException("module name must be an identifier, got '" + name + "'");
    }
    this.name = name;
  }

  /** Starts the public entry function {@code main} or, for any other name, a private helper function. */
  public FunctionBuilder function(String fnName) {
    if (!fnName.matches("[A-Za-z_][A-Za-z0-9_$.]*")) {
      throw new IllegalArgumentException("function name must be an identifier, got '" + fnName + "'");
    }
    if (open.containsKey(fnName) || done.containsKey(fnName)) {
      throw new IllegalArgumentException("function '" + fnName + "' already exists in module '" + name + "'");
    }
    FunctionBuilder fb = new FunctionBuilder(this, fnName, fnName.equals("main"));
    open.put(fnName, fb);
    return fb;
  }

  void finished(Func f) {
    open.remove(f.name());
    done.put(f.name(), f);
  }

  void checkCall(Op.Call c, String opName, Location loc) {
    Func callee = done.get(c.callee());
    if (callee == null) {
      throw new OpException(opName, "requires a finished function '" + c.callee() + "' in module '" + name
          + "'; finished: " + done.keySet(), loc);
    }
    List<org.xla4j.types.TensorType> given = ShapeRules.types(c.operands());
    if (!given.equals(callee.argTypes()) || !c.resultTypes().equals(callee.resultTypes())) {
      throw new OpException(opName, "requires @" + c.callee() + "'s signature " + callee.argTypes() + " -> "
          + callee.resultTypes() + ", got " + given + " -> " + c.resultTypes(), loc);
    }
  }

  /** A call op for a finished function of this module. */
  public Op.Call call(Func callee, List<Value> args) {
    return new Op.Call(callee.name(), args, callee.resultTypes());
  }

  /** Finishes the module; every function must have returned and {@code main} must exist. */
  public HloModule build() {
    if (!open.isEmpty()) {
      throw new IllegalStateException("module '" + name + "': functions " + open.keySet() + " have not returned yet");
    }
    if (!done.containsKey("main")) {
      throw new IllegalStateException("module '" + name + "' has no 'main' function");
    }
    List<Func> fs = new ArrayList<>();
    fs.add(done.get("main"));
    done.values().stream().filter(f -> !f.name().equals("main")).forEach(fs::add);
    return new HloModule(name, fs);
  }
}
