# Sourced by the GPU-machine scripts: `. scripts/device-env.sh LOGNAME` (DEVICE_XMX overrides the heap).
# Moves to the repository root, tees everything to $OUT/LOGNAME.log, uses the carried .jre and the
# classes and jars scripts/device-stage.sh put in .devcarry, and defines quiet (drops JVM/XLA chatter).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-/tmp}
exec > >(tee "$out/$1.log") 2>&1
export JAVA_HOME=$PWD/.jre PATH=$PWD/.jre/bin:$PATH
export NCCL_NVLS_ENABLE=0 TF_CPP_MIN_LOG_LEVEL=1 XLA4J_CACHE_DIR=/tmp/xla4j-cache
c=.devcarry
LIBS=$(ls $c/lib/*.jar | grep -v console-standalone | tr '\n' :)
CP=$c/tests-test-classes.jar:$c/jni-test-classes.jar:$c/models-classes.jar:$c/jni-classes.jar:$c/graph-builder-classes.jar:$LIBS
JOPTS=(-Xmx${DEVICE_XMX:-16g} --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp-cache)
quiet() { grep -v -E '^(WARNING: |I1[0-9]{3} |W1[0-9]{3} )'; }
