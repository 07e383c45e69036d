package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.cli.Main;

/** {@code xla4j train} end to end on the CPU: the loss falls on the memorized batch and the plot is written. */
class TrainCommandTest {
  @TempDir
  Path dir;

  private static List<Double> losses(String text) {
    List<Double> l = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("step ")) l.add(Double.parseDouble(line.substring(line.indexOf("loss") + 4).trim().split("\\s+")[0]));
    }
    return l;
  }

  @Test
  void tinyMlpLossFallsAndThePngIsWritten() throws Exception {
    Path png = dir.resolve("loss.png");
    String text = StdStreams.out(() -> assertEquals(0, Main.run("train", "--model", "tiny-mlp", "--steps", "120", "--lr",
        "3e-2", "--seed", "2", "--plot", png.toString())));
    List<Double> l = losses(text);
    assertEquals(120, l.size(), text);
    assertTrue(l.get(0) > 1 && l.get(119) < 0.05, "memorizing one batch: " + l.get(0) + " -> " + l.get(119));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(640, img.getWidth());
    assertEquals(400, img.getHeight());
  }

  @Test
  void tinyLlamaTrainsThroughItsForwardAndWritesAnSvg() throws Exception {
    Path svg = dir.resolve("loss.svg");
    String text = StdStreams.out(() -> assertEquals(0, Main.run("train", "--model", "tiny-llama", "--steps", "12", "--lr",
        "3e-3", "--batch", "1", "--seq", "12", "--plot", svg.toString())));
    List<Double> l = losses(text);
    assertEquals(12, l.size(), text);
    // random init: about ln(64) = 4.16 or more at first; one memorized sequence falls fast
    assertTrue(l.get(0) > 3 && l.get(11) < 0.6 * l.get(0), "loss " + l);
    String s = Files.readString(svg);
    assertTrue(s.startsWith("<svg") && s.contains("<polyline"), s);
  }

  @Test
  void anUnknownModelIsAUsageError() {
    assertEquals(2, Main.run("train", "--model", "gpt-9", "--plot", dir.resolve("x.png").toString()));
  }

  /**
   * {@code --data}: a periodic text at the character level; every step reads new windows of it, and since the
   * next character is determined by the last one the loss must fall far below ln(4) (4 distinct characters).
   */
  @Test
  void tinyLlamaLearnsAPeriodicTextFromDataFile() throws Exception {
    Path txt = Files.writeString(dir.resolve("abcd.txt"), "abcd".repeat(300));
    String text = StdStreams.out(() -> assertEquals(0, Main.run("train", "--model", "tiny-llama", "--steps", "40", "--lr",
        "1e-2", "--batch", "4", "--seq", "16", "--data", txt.toString(), "--plot", dir.resolve("d.png").toString())));
    assertTrue(text.contains("data: " + txt + " (1200 characters, 4 distinct -> ids 1..4)"), text);
    List<Double> l = losses(text);
    assertEquals(40, l.size(), text);
    assertTrue(l.get(39) < 0.2 && l.get(39) < 0.1 * l.get(0), "loss " + l);
  }

  @Test
  void dataThatDoesNotFitTheVocabularyOrTheModelIsAUsageError() throws Exception {
    StringBuilder many = new StringBuilder();
    for (char c = '!'; c < '!' + 70; c++) many.append(c); // 70 distinct bytes: tiny-llama's vocab is 64
    Path wide = Files.writeString(dir.resolve("wide.txt"), many.toString().repeat(3));
    String err = StdStreams.err(() -> assertEquals(2, Main.run("train", "--model", "tiny-llama", "--data", wide.toString(),
        "--plot", dir.resolve("x.png").toString())));
    assertTrue(err.contains("70 distinct bytes") && err.contains("at most 63"), err);
    Path txt = Files.writeString(dir.resolve("t.txt"), "abab");
    err = StdStreams.err(() -> assertEquals(2, Main.run("train", "--model", "tiny-mlp", "--data", txt.toString(),
        "--plot", dir.resolve("x.png").toString())));
    assertTrue(err.contains("--data is for the language models"), err);
  }
}
