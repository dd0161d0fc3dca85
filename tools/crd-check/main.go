// crd-check validates the generated CRDs with Kubernetes' own CRD validation (apiextensions-apiserver),
// then runs each metallb.io object of the given manifest files through what the API server does on
// create: unknown-field pruning, defaulting and schema validation, printing the result.
//
//	cd tools/crd-check && go run . ../../deploy/crds/metallb.io_*.yaml -- ../../../shared/seed-manifests/*.yaml
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

type version struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
}

func main() {
	scheme := runtime.NewScheme()
	_ = apiextensions.AddToScheme(scheme)
	_ = apiextv1.AddToScheme(scheme)
	failed := false
	var crdFiles, objFiles []string
	dst := &crdFiles
	for _, a := range os.Args[1:] {
		if a == "--" {
			dst = &objFiles
			continue
		}
		*dst = append(*dst, a)
	}
	versions := map[string]version{} // "group/version/Kind"
	for _, f := range crdFiles {
		b, err := os.ReadFile(f)
		must(err)
		var v1 apiextv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &v1); err != nil {
			fmt.Println(f, "UNMARSHAL:", err)
			failed = true
			continue
		}
		apiextv1.SetObjectDefaults_CustomResourceDefinition(&v1)
		var crd apiextensions.CustomResourceDefinition
		must(scheme.Convert(&v1, &crd, nil))
		if errs := validation.ValidateCustomResourceDefinition(context.Background(), &crd); len(errs) > 0 {
			failed = true
			for _, e := range errs {
				fmt.Println(f, "INVALID:", e.Error())
			}
			continue
		}
		fmt.Println(f, "valid CRD")
		for _, v := range crd.Spec.Versions {
			props := crd.Spec.Validation
			if v.Schema != nil {
				props = v.Schema
			}
			s, err := structuralschema.NewStructural(props.OpenAPIV3Schema)
			must(err)
			val, _, err := apiservervalidation.NewSchemaValidator(props.OpenAPIV3Schema)
			must(err)
			versions[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = version{s, val}
		}
	}
	for _, f := range objFiles {
		b, err := os.ReadFile(f)
		must(err)
		for i, doc := range bytes.Split(b, []byte("\n---")) {
			var obj map[string]interface{}
			if err := yaml.Unmarshal(doc, &obj); err != nil || obj == nil {
				continue
			}
			apiVersion, _ := obj["apiVersion"].(string)
			kind, _ := obj["kind"].(string)
			if !strings.HasPrefix(apiVersion, "metallb.io/") {
				continue
			}
			v, ok := versions[apiVersion+"/"+kind]
			if !ok {
				fmt.Printf("%s#%d %s %s: NO CRD\n", f, i, apiVersion, kind)
				failed = true
				continue
			}
			pruned := structuralpruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
			structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
			structuraldefaulting.Default(obj, v.structural)
			errs := apiservervalidation.ValidateCustomResource(field.NewPath(""), obj, v.validator)
			out, _ := json.Marshal(obj)
			if len(errs) > 0 || len(pruned) > 0 {
				failed = true
				fmt.Printf("%s#%d %s: REJECTED %v unknown fields %v\n", f, i, kind, errs, pruned)
			} else {
				fmt.Printf("%s#%d %s: accepted, stored as %s\n", f, i, kind, out)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
