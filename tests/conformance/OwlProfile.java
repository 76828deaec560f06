// The OWL API's OWL 2 DL profile checker (the reference implementation of the OWL 2 structural
// specification's profiles) on RDF files read as one ontology. Java 11+ runs this file as is:
//   java -cp OWLAPI_CLASSPATH OwlProfile.java FILE...
// Prints one line per profile violation (none: the files are in OWL 2 DL) and exits 0.
import java.io.File;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OwlProfile {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology merged = manager.createOntology();
        for (String file : args) {
            OWLOntology part = manager.loadOntologyFromOntologyDocument(new File(file));
            manager.addAxioms(merged, part.axioms());
            // the ontology header's annotations (title, licence …) count as well
            part.annotations().forEach(a -> manager.applyChange(
                new org.semanticweb.owlapi.model.AddOntologyAnnotation(merged, a)));
        }
        OWLProfileReport report = new OWL2DLProfile().checkOntology(merged);
        for (OWLProfileViolation v : report.getViolations()) {
            System.out.println(v.getClass().getSimpleName() + "\t" + v.toString().replace('\n', ' '));
        }
        System.out.println("axioms\t" + merged.getAxiomCount());
    }
}
