// One JVM for the conformance tests' Jena work (a JVM start costs seconds; the tests need dozens
// of runs). Java 11+ runs this file as is: java -cp JENA_CLASSPATH JenaCheck.java COMMAND ...
//
//   query DATA OUT Q.rq...        each query on DATA (any RDF syntax; TriG keeps its named graphs)
//                                 with Jena ARQ: OUT/NAME.csv (SELECT, W3C CSV), OUT/NAME.ask
//                                 (ASK: true/false) or OUT/NAME.nt (CONSTRUCT, DESCRIBE)
//   shacl SHAPES OUT DATA...      each data file validated by Jena SHACL: OUT/NAME.tsv, first line
//                                 "conforms" or "violations", then one line per report entry:
//                                 focus, path, source shape, constraint component, severity
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.jena.graph.Graph;
import org.apache.jena.query.Dataset;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;

public class JenaCheck {
    static String stem(String file) {
        String name = Paths.get(file).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args[2]);
        Files.createDirectories(out);
        if (args[0].equals("query")) {
            Dataset data = RDFDataMgr.loadDataset(args[1]);
            for (int i = 3; i < args.length; i++) {
                String text = Files.readString(Paths.get(args[i]), StandardCharsets.UTF_8);
                Query query = QueryFactory.create(text);
                try (QueryExecution qe = QueryExecutionFactory.create(query, data)) {
                    if (query.isSelectType()) {
                        try (OutputStream os = Files.newOutputStream(out.resolve(stem(args[i]) + ".csv"))) {
                            ResultSetFormatter.outputAsCSV(os, qe.execSelect());
                        }
                    } else if (query.isAskType()) {
                        Files.writeString(out.resolve(stem(args[i]) + ".ask"), qe.execAsk() ? "true\n" : "false\n");
                    } else {
                        Model m = query.isConstructType() ? qe.execConstruct() : qe.execDescribe();
                        try (OutputStream os = Files.newOutputStream(out.resolve(stem(args[i]) + ".nt"))) {
                            RDFDataMgr.write(os, m, Lang.NTRIPLES);
                        }
                    }
                }
            }
        } else if (args[0].equals("shacl")) {
            Shapes shapes = Shapes.parse(RDFDataMgr.loadGraph(args[1]));
            for (int i = 3; i < args.length; i++) {
                Graph data = RDFDataMgr.loadGraph(args[i]);
                ValidationReport report = ShaclValidator.get().validate(shapes, data);
                try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve(stem(args[i]) + ".tsv")))) {
                    w.println(report.conforms() ? "conforms" : "violations");
                    report.getEntries().forEach(e -> w.println(String.join("\t",
                        String.valueOf(e.focusNode()), String.valueOf(e.resultPath()), String.valueOf(e.source()),
                        String.valueOf(e.sourceConstraintComponent()), String.valueOf(e.severity().level()))));
                }
            }
        } else {
            throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }
}
