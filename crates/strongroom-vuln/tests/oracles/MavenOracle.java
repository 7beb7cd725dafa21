// Oracle for Maven version ordering: org.apache.maven.artifact.versioning.ComparableVersion
// from maven-artifact (Debian package `maven`: /usr/share/maven/lib/maven-artifact-3.x.jar).
// Compiled by the test with javac into a temporary directory.
// stdin: one "A<TAB>B" pair per line. stdout: a header line "# maven-artifact <version>",
// then per pair "-1", "0" or "1" (sign of new ComparableVersion(A).compareTo(B)).
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(
                new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        Package p = ComparableVersion.class.getPackage();
        out.println("# maven-artifact " + (p == null ? "?" : p.getImplementationVersion()));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            int tab = line.indexOf('\t');
            ComparableVersion a = new ComparableVersion(line.substring(0, tab));
            ComparableVersion b = new ComparableVersion(line.substring(tab + 1));
            out.println(Integer.signum(a.compareTo(b)));
        }
        out.flush();
    }
}
