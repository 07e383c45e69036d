import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Prints the tests a Maven run skipped, with their reasons, from the surefire XML reports, so that a skip
 * (no GPU plugin, no numpy, ...) is visible at the end of ./build verify instead of only inside the XML.
 * Run by ./build after Maven: java scripts/SkippedTests.java ROOT [SINCE_EPOCH_MILLIS]. Reports older
 * than SINCE (from an earlier run) are ignored. Always exits 0: it only reports.
 */
public class SkippedTests {
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : ".");
    long since = args.length > 1 ? Long.parseLong(args[1]) : 0;
    List<Path> reports = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root, 4)) {
      s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml"))
          .filter(p -> p.getParent().getFileName().toString().equals("surefire-reports"))
          .filter(p -> modified(p) >= since)
          .sorted()
          .forEach(reports::add);
    }
    // reason -> tests skipped for it, so forty GPU tests read as one line of reason
    Map<String, List<String>> byReason = new TreeMap<>();
    int total = 0;
    var factory = DocumentBuilderFactory.newInstance();
    for (Path report : reports) {
      var doc = factory.newDocumentBuilder().parse(report.toFile());
      NodeList cases = doc.getElementsByTagName("testcase");
      for (int i = 0; i < cases.getLength(); i++) {
        Element c = (Element) cases.item(i);
        NodeList skipped = c.getElementsByTagName("skipped");
        if (skipped.getLength() == 0) continue;
        Element sk = (Element) skipped.item(0);
        String reason = reason(sk.getAttribute("message"), sk.getTextContent());
        String cls = c.getAttribute("classname");
        String test = cls.substring(cls.lastIndexOf('.') + 1) + "." + c.getAttribute("name");
        byReason.computeIfAbsent(reason, k -> new ArrayList<>()).add(test);
        total++;
      }
    }
    if (total == 0) return;
    System.out.println();
    System.out.println("Skipped tests: " + total + " (reasons from target/surefire-reports)");
    for (var e : byReason.entrySet()) {
      System.out.println("  " + e.getKey());
      // per class: one test named in full, or the class with its count
      Map<String, List<String>> byClass = new TreeMap<>();
      for (String t : e.getValue()) byClass.computeIfAbsent(t.substring(0, t.indexOf('.')), k -> new ArrayList<>()).add(t);
      List<String> parts = new ArrayList<>();
      byClass.forEach((cls, ts) -> parts.add(ts.size() == 1 ? ts.get(0) : cls + " (" + ts.size() + " tests)"));
      System.out.println("    " + String.join(", ", parts));
    }
  }

  private static long modified(Path p) {
    try {
      FileTime t = Files.getLastModifiedTime(p);
      return t.toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** The first line of the message, without the exception class and JUnit's "Assumption failed: ". */
  static String reason(String message, String text) {
    String r = message != null && !message.isBlank() ? message : text == null ? "" : text.strip();
    r = r.lines().findFirst().orElse("").strip();
    r = r.replaceFirst("^[\\w.$]+(Exception|Error): ", "").replaceFirst("^Assumption failed: ", "");
    if (r.isEmpty()) r = "(no reason given)";
    return r.length() > 300 ? r.substring(0, 300) + "..." : r;
  }
}
