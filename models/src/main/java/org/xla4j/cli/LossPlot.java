package org.xla4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** A loss curve as a PNG (java.awt, headless) or an SVG, chosen by the file's extension. */
final class LossPlot {
  private static final int W = 640;
  private static final int H = 400;
  private static final int PAD = 50;

  private LossPlot() {}

  static void write(Path file, String title, double[] loss) throws IOException {
    if (loss.length == 0) throw new IllegalArgumentException("loss plot: requires at least one step, got none");
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".svg")) {
      Files.writeString(file, svg(title, loss), StandardCharsets.UTF_8);
    } else if (name.endsWith(".png")) {
      System.setProperty("java.awt.headless", "true"); // no display needed; set before AWT first loads
      ImageIO.write(png(title, loss), "png", file.toFile());
    } else {
      throw new IllegalArgumentException("--plot requires a .png or .svg file, got " + file);
    }
  }

  private static double max(double[] a) {
    double m = 0;
    for (double v : a) if (Double.isFinite(v)) m = Math.max(m, v);
    return m == 0 ? 1 : m;
  }

  private static double x(int i, int n) { return PAD + (W - 2.0 * PAD) * (n == 1 ? 0 : (double) i / (n - 1)); }

  private static double y(double v, double top) {
    double c = Double.isFinite(v) ? Math.max(0, Math.min(v, top)) : top;
    return H - PAD - (H - 2.0 * PAD) * c / top;
  }

  static BufferedImage png(String title, double[] loss) {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    g.setColor(Color.BLACK);
    g.drawLine(PAD, H - PAD, W - PAD, H - PAD);
    g.drawLine(PAD, PAD, PAD, H - PAD);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    double top = max(loss);
    g.drawString(title, PAD, PAD / 2);
    g.drawString(String.format(Locale.ROOT, "%.3g", top), 4, PAD + 4);
    g.drawString("0", PAD - 12, H - PAD + 4);
    g.drawString("step " + loss.length, W - PAD - 40, H - PAD + 20);
    g.setColor(new Color(0x1f77b4));
    g.setStroke(new BasicStroke(2f));
    for (int i = 1; i < loss.length; i++) {
      g.drawLine((int) x(i - 1, loss.length), (int) y(loss[i - 1], top), (int) x(i, loss.length), (int) y(loss[i], top));
    }
    g.dispose();
    return img;
  }

  static String svg(String title, double[] loss) {
    double top = max(loss);
    StringBuilder pts = new StringBuilder();
    for (int i = 0; i < loss.length; i++) {
      pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(i, loss.length), y(loss[i], top)));
    }
    return String.format(Locale.ROOT, """
        <svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">
        <rect width="100%%" height="100%%" fill="white"/>
        <text x="%d" y="%d" font-family="sans-serif" font-size="12">%s</text>
        <text x="4" y="%d" font-family="sans-serif" font-size="12">%.3g</text>
        <line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>
        <line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>
        <polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>
        </svg>
        """, W, H, PAD, PAD / 2, title.replace("&", "&amp;").replace("<", "&lt;"), PAD + 4, top, PAD, H - PAD, W - PAD,
        H - PAD, PAD, PAD, PAD, H - PAD, pts.toString().trim());
  }
}
