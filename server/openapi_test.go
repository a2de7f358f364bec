package server

// Tests of the OpenAPI document (openapi.json, served at GET /v1/openapi.json): it is valid
// OpenAPI 3, it documents exactly the routes registered in routes(), its schemas have the
// JSON fields of the Go types the handlers encode and decode, and real requests and
// responses of a node validate against it, statuses included.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/fingerprint/synth"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/interchange"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

func init() {
	// Transactions are binary bodies, read like application/octet-stream.
	openapi3filter.RegisterBodyDecoder("application/x-ansi-nist", openapi3filter.FileBodyDecoder)
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q: want 3.x", doc.OpenAPI)
	}
	if doc.Components == nil || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Fatal("no bearer security scheme")
	}
	if s := doc.Components.SecuritySchemes["bearer"].Value; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme: type %q scheme %q", s.Type, s.Scheme)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s %s: no operationId or summary", method, path)
			}
			if op.Responses.Value("401") != nil && !strings.Contains(op.Description, "**Roles:**") {
				t.Errorf("%s %s: the description does not say which roles may call it", method, path)
			}
		}
	}
}

// route is one pattern registered in routes().
type route struct {
	method, path string
	authed       bool // wrapped in s.auth
}

// sourceRoutes reads the patterns registered with m.Handle and m.HandleFunc from the
// package's source files, so that a route added without documentation fails the test.
func sourceRoutes(t *testing.T) []route {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []route
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") || len(call.Args) != 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: route pattern is not a string literal", fset.Position(call.Pos()))
				return true
			}
			pattern, _ := strconv.Unquote(lit.Value)
			method, path, ok := strings.Cut(pattern, " ")
			if !ok {
				if pattern != "/" {
					t.Errorf("%s: route %q has no method", fset.Position(call.Pos()), pattern)
				}
				return true // the catch-all 404
			}
			authed := false
			if c, ok := call.Args[1].(*ast.CallExpr); ok {
				if s, ok := c.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "auth" {
					authed = true
				}
			}
			out = append(out, route{method, strings.TrimSpace(path), authed})
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("found only %d routes in the source: is the parser still right?", len(out))
	}
	return out
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	registered := map[string]bool{}
	for _, r := range sourceRoutes(t) {
		key := r.method + " " + r.path
		registered[key] = true
		op := documented[key]
		if op == nil {
			t.Errorf("route %s is registered in routes() but not documented in openapi.json", key)
			continue
		}
		// Authenticated routes inherit the document's bearer requirement; the others
		// say they need none.
		switch {
		case r.authed && op.Security != nil && len(*op.Security) == 0:
			t.Errorf("%s: needs a token but the document says it does not", key)
		case !r.authed && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s: needs no token but the document does not say so (security: [])", key)
		}
		if r.authed {
			if op.Responses.Value("401") == nil {
				t.Errorf("%s: 401 not documented", key)
			}
			if !hasParam(op, "header", "X-Biomesh-Purpose") {
				t.Errorf("%s: X-Biomesh-Purpose header not documented", key)
			}
		}
	}
	for key := range documented {
		if !registered[key] {
			t.Errorf("%s is documented but not registered in routes()", key)
		}
	}
	if doc.Security == nil || len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Errorf("the document's default security is not the bearer scheme: %v", doc.Security)
	}
}

func hasParam(op *openapi3.Operation, in, name string) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == in && p.Value.Name == name {
			return true
		}
	}
	return false
}

// schemaTypes maps component schemas onto the Go types whose JSON they describe. The check
// recurses through properties, so nested types (Person in Candidate, Watch in Person, …)
// are compared too. response: the server encodes it, so a field without omitempty is
// always present and must be listed as required.
var schemaTypes = []struct {
	name     string
	v        any
	response bool
}{
	{"Person", store.Person{}, true},
	{"Watch", store.Watch{}, true},
	{"Sample", store.Sample{}, true},
	{"SampleOut", sampleOut{}, true},
	{"Candidate", candidate{}, true},
	{"Encounter", store.Encounter{}, true},
	{"Conflict", store.Conflict{}, true},
	{"FamilyLink", store.FamilyLink{}, true},
	{"User", store.User{}, true},
	{"AuditEntry", audit.Entry{}, true},
	{"Alert", alert{}, true},
	{"TimelineEvent", timelineEvent{}, true},
	{"EnrolResponse", enrolResponse{}, true},
	{"IdentifyResponse", identifyResponse{}, true},
	{"VerifyResponse", verifyResponse{}, true},
	{"EncounterResponse", encounterResponse{}, true},
	{"PersonResponse", personResponse{}, true},
	{"PersonIn", personIn{}, false},
	{"SampleIn", sampleIn{}, false},
	{"EnrolRequest", enrolRequest{}, false},
	{"IdentifyRequest", identifyRequest{}, false},
	{"VerifyRequest", verifyRequest{}, false},
	{"EncounterRequest", encounterRequest{}, false},
	{"WatchRequest", watchRequest{}, false},
	{"FamilyRequest", familyRequest{}, false},
	{"ResolveRequest", resolveRequest{}, false},
	{"UserRequest", userRequest{}, false},
	{"DeleteRequest", deleteRequest{}, false},
	{"PartnerQueryRequest", partnerQueryRequest{}, false},
	{"FollowUpIn", followUpRequest{}, false},
	{"DecideRequest", decideRequest{}, false},
	{"FollowUp", federation.FollowUp{}, true},
	{"Device", store.Device{}, true},
	{"DeviceRequest", deviceRequest{}, false},
	{"DeviceResponse", deviceResponse{}, true},
	{"LeaseResponse", leaseResponse{}, true},
	{"SyncRequest", syncRequest{}, false},
	{"SyncItem", syncItem{}, false},
	{"SyncResponse", syncResponse{}, true},
	{"SyncResult", syncResult{}, true},
}

func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, st := range schemaTypes {
		ref := doc.Components.Schemas[st.name]
		if ref == nil {
			t.Errorf("schema %s: missing from components", st.name)
			continue
		}
		compareSchema(t, st.name, ref.Value, reflect.TypeOf(st.v), st.response, map[reflect.Type]bool{})
	}
}

// jsonField is one field of a struct as encoding/json sees it.
type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		out = append(out, jsonField{name, f.Type, omit})
	}
	return out
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	bytesType = reflect.TypeOf([]byte(nil))
)

// compareSchema checks that schema s describes the JSON of Go type typ.
func compareSchema(t *testing.T, where string, s *openapi3.Schema, typ reflect.Type, response bool, seen map[reflect.Type]bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := ""
	switch {
	case typ == reflect.TypeOf(json.RawMessage(nil)):
		// Raw JSON passed on to another package's parser: an object here (a DNA profile).
		want = "object"
	case typ == timeType:
		want = "string"
		if s.Format != "date-time" {
			t.Errorf("%s: a time, but format %q (want date-time)", where, s.Format)
		}
	case typ == bytesType:
		want = "string"
		if s.Format != "byte" {
			t.Errorf("%s: bytes (base64 in JSON), but format %q (want byte)", where, s.Format)
		}
	case typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		want = "integer"
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		want = "number"
	case typ.Kind() == reflect.Slice:
		want = "array"
	case typ.Kind() == reflect.Struct, typ.Kind() == reflect.Map:
		want = "object"
	default:
		t.Fatalf("%s: Go type %v not handled by the test", where, typ)
	}
	if s.Type == nil || !s.Type.Is(want) {
		t.Errorf("%s: schema type %v, Go type %v wants %s", where, s.Type, typ, want)
		return
	}
	switch {
	case want == "array":
		if s.Items == nil || s.Items.Value == nil {
			t.Errorf("%s: array without items", where)
			return
		}
		compareSchema(t, where+"[]", s.Items.Value, typ.Elem(), response, seen)
	case typ.Kind() == reflect.Struct && typ != timeType:
		if seen[typ] {
			return
		}
		seen[typ] = true
		defer delete(seen, typ)
		fields := jsonFields(typ)
		var goNames, required []string
		for _, f := range fields {
			goNames = append(goNames, f.name)
			if !f.omitempty {
				required = append(required, f.name)
			}
			p := s.Properties[f.name]
			if p == nil || p.Value == nil {
				t.Errorf("%s: no property %q for field of Go type %v", where, f.name, typ)
				continue
			}
			compareSchema(t, where+"."+f.name, p.Value, f.typ, response, seen)
		}
		for name := range s.Properties {
			if !slices.Contains(goNames, name) {
				t.Errorf("%s: property %q is not a JSON field of Go type %v", where, name, typ)
			}
		}
		if response {
			got := slices.Clone(s.Required)
			sort.Strings(got)
			sort.Strings(required)
			if !slices.Equal(got, required) {
				t.Errorf("%s: required %v, but %v always encodes %v", where, got, typ, required)
			}
		} else {
			for _, r := range s.Required {
				if !slices.Contains(goNames, r) {
					t.Errorf("%s: required %q is not a field", where, r)
				}
			}
			// Requests are decoded with DisallowUnknownFields.
			if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
				t.Errorf("%s: request schema should have additionalProperties: false (unknown fields are refused)", where)
			}
		}
	}
}

// apiCheck sends requests to a real node and validates each request and response against
// the document, recording the statuses seen per operation.
type apiCheck struct {
	t      *testing.T
	url    string
	router routers.Router
	seen   map[string]map[int]bool // operationId → statuses
}

// send makes a request; body is a JSON value, or a *multipartBody. It returns the status
// and the response body.
func (a *apiCheck) send(method, path, token string, body any, hdr map[string]string) (int, []byte) {
	a.t.Helper()
	var raw []byte
	ct := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		raw, ct = b.data, b.ct
	case ansiBody:
		raw, ct = b, "application/x-ansi-nist"
	case string:
		raw, ct = []byte(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		raw, ct = j, "application/json"
	}
	mk := func() *http.Request {
		req, err := http.NewRequest(method, a.url+path, bytes.NewReader(raw))
		if err != nil {
			a.t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("X-Biomesh-Purpose", "openapi test")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	// Validate the request as a client would build it against the document.
	vreq := mk()
	vreq.URL.Host, vreq.URL.Scheme = "", ""
	route, params, err := a.router.FindRoute(vreq)
	if err != nil {
		a.t.Fatalf("%s %s: not in the document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}
	mp, _ := body.(*multipartBody)
	if mp != nil {
		// kin-openapi cannot decode file parts named by additionalProperties: check the
		// JSON of part "request" against the schema the document gives it instead.
		in.Options.ExcludeRequestBody = true
	}
	reqValid := openapi3filter.ValidateRequest(context.Background(), in)
	if mp != nil && reqValid == nil {
		mt := route.Operation.RequestBody.Value.Content.Get("multipart/form-data")
		if mt == nil {
			a.t.Fatalf("%s %s: multipart/form-data not documented", method, path)
		}
		var v any
		json.Unmarshal(mp.request, &v)
		reqValid = mt.Schema.Value.Properties["request"].Value.VisitJSON(v, openapi3.MultiErrors())
	}
	in.Options.ExcludeRequestBody = false

	res, err := http.DefaultClient.Do(mk())
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	// Requests the node accepts must be valid by the document.
	if res.StatusCode < 300 && reqValid != nil {
		a.t.Errorf("%s %s: accepted by the node (%d) but invalid by the document: %v", method, path, res.StatusCode, reqValid)
	}
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: in.Options}
	rv.SetBodyBytes(data)
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		a.t.Errorf("%s %s: response %d %s\ndoes not match the document: %v", method, path, res.StatusCode, truncate(data), err)
	}
	if a.seen[route.Operation.OperationID] == nil {
		a.seen[route.Operation.OperationID] = map[int]bool{}
	}
	a.seen[route.Operation.OperationID][res.StatusCode] = true
	return res.StatusCode, data
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// call is send that checks the status and decodes the JSON answer into out.
func (a *apiCheck) call(method, path, token string, body any, want int, out any) {
	a.t.Helper()
	st, data := a.send(method, path, token, body, nil)
	if st != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, truncate(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

type multipartBody struct {
	data    []byte
	ct      string
	request []byte // the JSON of part "request"
}

func multipartRequest(t *testing.T, req any, files map[string][]byte) *multipartBody {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="request"`)
	h.Set("Content-Type", "application/json")
	w, _ := mw.CreatePart(h)
	j, _ := json.Marshal(req)
	w.Write(j)
	for name, data := range files {
		fw, _ := mw.CreateFormFile(name, name+".bmt")
		fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &multipartBody{b.Bytes(), mw.FormDataContentType(), j}
}

// uniformTables is an allele frequency table made up for tests: alleles 10–19 at 0.1 each
// at eight loci, for one population.
func uniformTables(t *testing.T) dna.Tables {
	t.Helper()
	var b strings.Builder
	b.WriteString("population,locus,allele,freq,n\n")
	for _, l := range []string{"D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "D18S51", "D5S818", "D13S317"} {
		for a := 10; a < 20; a++ {
			fmt.Fprintf(&b, "Test,%s,%d,0.1,1000\n", l, a)
		}
	}
	ts, err := dna.ReadTables(strings.NewReader(b.String()), "uniform", "")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// ansiBody is a request body sent as an ANSI/NIST-ITL transaction.
type ansiBody []byte

// transactionOf writes an EBTS transaction of a synthetic person with two rolled fingers.
func transactionOf(t *testing.T, name string, seed uint64) []byte {
	t.Helper()
	var samples []store.Sample
	for i, pos := range []int{2, 7} {
		m, err := synth.NewMaster(synth.MasterSeed(seed, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		im, err := m.Impression(seed+uint64(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		png.Encode(&b, im.Image)
		samples = append(samples, store.Sample{ID: int64(i + 1), Modality: store.Finger, Position: pos, Image: b.Bytes(), ImageFormat: "png"})
	}
	tx, _, err := interchange.Export(&store.Person{Name: name, DateOfBirth: "1990-01-02", Sex: "M"}, samples,
		interchange.ExportOptions{Profile: "ebts", ORI: "PARTNER01", DAI: "ORG-A"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := tx.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pngEncode writes a small grey PNG (a stand-in face photo).
func pngEncode(w io.Writer) error {
	img := image.NewGray(image.Rect(0, 0, 32, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	return png.Encode(w, img)
}

// tplSamples returns finger samples 1..n of synthetic person k, impression imp, as
// native templates.
func tplSamples(k, n, imp int) []map[string]any {
	var out []map[string]any
	for f := 1; f <= n; f++ {
		m := synthtpl.Finger(5, k, f, nil)
		b, _ := synthtpl.Impression(m, 5, imp, nil).MarshalBinary()
		out = append(out, map[string]any{"modality": "finger", "position": f, "template": b})
	}
	return out
}

// TestOpenAPIMatchesServer runs every operation against a real node and validates requests
// and responses against the document, with the statuses each handler returns.
func TestOpenAPIMatchesServer(t *testing.T) {
	doc := loadOpenAPI(t)
	doc.Servers = nil // match the test server's address
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	admin, err := Bootstrap(ctx, st, "org-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const maxBody = 4 << 20 // small, to see the 413 of every operation with a body cheaply
	srv, err := New(ctx, st, Config{MaxBody: maxBody, DNATables: uniformTables(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.alerts.close()
	a := &apiCheck{t: t, url: hs.URL, router: router, seen: map[string]map[int]bool{}}

	a.call("GET", "/v1/health", "", nil, 200, nil)
	a.call("GET", "/v1/openapi.json", "", nil, 200, nil)
	a.call("GET", "/v1/me", "", nil, 401, nil)
	a.call("GET", "/v1/me", "bm_wrong", nil, 401, nil)
	a.call("GET", "/v1/me", admin, nil, 200, nil)

	var u struct{ Token string }
	token := func(name, org, role string) string {
		a.call("POST", "/v1/users", admin, map[string]any{"name": name, "org": org, "role": role}, 201, &u)
		return u.Token
	}
	enroller := token("enroller", "", "enroller")
	analyst := token("analyst", "", "analyst")
	screener := token("screener", "", "screener")
	auditor := token("auditor", "", "auditor")
	a.call("POST", "/v1/users", admin, map[string]any{"name": "analyst", "org": "org-b", "role": "analyst"}, 403, nil)
	_, otherAnalyst, err := AddUser(context.Background(), st, "analyst", "org-b", "analyst", &audit.Entry{Time: time.Now(), User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	a.call("POST", "/v1/users", admin, map[string]any{"name": "enroller", "role": "enroller"}, 409, nil)
	a.call("POST", "/v1/users", admin, map[string]any{"name": "x", "role": "boss"}, 400, nil)
	a.call("POST", "/v1/users", enroller, map[string]any{"name": "x", "role": "admin"}, 403, nil)
	a.call("GET", "/v1/users", admin, nil, 200, nil)
	a.call("GET", "/v1/users", analyst, nil, 403, nil)

	var faceImg bytes.Buffer
	if err := pngEncode(&faceImg); err != nil {
		t.Fatal(err)
	}
	face := map[string]any{"modality": "face", "image": faceImg.Bytes()}

	// Enrolment: JSON, multipart, re-enrolment, conflict, errors.
	var e1, e2, dup, cf struct {
		PersonID  string           `json:"person_id"`
		Samples   []sampleOut      `json:"samples"`
		Conflicts []store.Conflict `json:"conflicts"`
	}
	a.call("POST", "/v1/persons", enroller, map[string]any{
		"person":  map[string]any{"name": "Ahmad Karim", "aliases": []string{"Abu K"}, "date_of_birth": "1980-02-03", "sex": "m", "nationality": "irq", "category": "detainee", "custody": "camp 1"},
		"samples": tplSamples(1, 3, 0),
	}, 201, &e1)
	files := map[string][]byte{}
	var parts []map[string]any
	for i, s := range tplSamples(2, 2, 0) {
		name := fmt.Sprintf("f%d", i)
		files[name] = s["template"].([]byte)
		parts = append(parts, map[string]any{"position": s["position"], "part": name, "device": "scanner"})
	}
	a.call("POST", "/v1/persons", enroller, multipartRequest(t, map[string]any{"person": map[string]any{"name": "Layla Hassan"}, "samples": parts}, files), 201, &e2)
	a.call("POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{"name": "ahmad  karim"}, "samples": tplSamples(1, 2, 1)}, 200, &dup)
	if dup.PersonID != e1.PersonID {
		t.Errorf("re-enrolment went to %s, want %s", dup.PersonID, e1.PersonID)
	}
	a.call("POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{"name": "Walid Mansour"}, "samples": tplSamples(2, 2, 1)}, 201, &cf)
	if len(cf.Conflicts) != 1 {
		t.Fatalf("false-name enrolment raised %d conflicts, want 1", len(cf.Conflicts))
	}
	var withFace struct {
		Samples  []sampleOut `json:"samples"`
		Warnings []string    `json:"warnings"`
	}
	a.call("POST", "/v1/persons", enroller, map[string]any{"person_id": e2.PersonID, "samples": append(tplSamples(2, 4, 2)[3:], face)}, 201, &withFace)
	if len(withFace.Samples) != 2 || len(withFace.Warnings) != 1 {
		t.Fatalf("finger and face enrolment: %+v", withFace)
	}
	a.call("GET", fmt.Sprintf("/v1/persons/%s/samples/%d/image", e2.PersonID, withFace.Samples[1].ID), analyst, nil, 200, nil)
	a.call("POST", "/v1/persons", enroller, map[string]any{"person_id": "P-NOPE", "samples": tplSamples(9, 1, 0)}, 404, nil)
	a.call("POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{"name": "x", "sex": "Q"}, "samples": tplSamples(9, 1, 0)}, 400, nil)
	a.call("POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{}, "samples": []any{map[string]any{"image": []byte("not an image")}}}, 422, nil)
	a.call("POST", "/v1/persons", enroller, map[string]any{"person": map[string]any{}, "samples": []any{map[string]any{"image": make([]byte, maxSampleBytes+1)}}}, 413, nil)
	a.call("POST", "/v1/persons", enroller, `not json`, 400, nil)
	a.call("POST", "/v1/persons", screener, map[string]any{"person": map[string]any{}, "samples": tplSamples(9, 1, 0)}, 403, nil)
	if st, _ := a.send("POST", "/v1/persons", enroller, nil, map[string]string{"Content-Type": "text/plain"}); st != 415 {
		t.Errorf("text/plain enrolment: %d, want 415", st)
	}

	// Searches.
	a.call("POST", "/v1/identify", analyst, map[string]any{"samples": tplSamples(1, 2, 2), "candidates": 3}, 200, nil)
	a.call("POST", "/v1/identify", analyst, multipartRequest(t, map[string]any{"samples": []any{map[string]any{"position": 1, "part": "p"}}}, map[string][]byte{"p": tplSamples(1, 1, 2)[0]["template"].([]byte)}), 200, nil)
	a.call("POST", "/v1/identify", analyst, map[string]any{"samples": tplSamples(1, 1, 2), "candidates": 1000}, 400, nil)
	a.call("POST", "/v1/identify", screener, map[string]any{"samples": tplSamples(1, 1, 2)}, 403, nil)
	a.call("POST", "/v1/identify", analyst, map[string]any{"samples": []any{map[string]any{"modality": "dna", "profile": map[string]any{"loci": map[string]any{"TH01": []string{"6"}}}}}}, 422, nil)
	a.send("POST", "/v1/identify", analyst, nil, map[string]string{"Content-Type": "text/csv"})
	a.call("POST", "/v1/verify", screener, map[string]any{"person_id": e1.PersonID, "samples": tplSamples(1, 2, 2)}, 200, nil)
	a.call("POST", "/v1/verify", screener, map[string]any{"person_id": "P-NOPE", "samples": tplSamples(1, 2, 2)}, 404, nil)
	a.call("POST", "/v1/verify", screener, map[string]any{"samples": tplSamples(1, 2, 2)}, 400, nil)
	a.call("POST", "/v1/verify", auditor, map[string]any{"person_id": e1.PersonID, "samples": tplSamples(1, 2, 2)}, 403, nil)
	a.call("POST", "/v1/verify", screener, map[string]any{"person_id": e1.PersonID, "samples": []any{face}}, 422, nil)
	a.send("POST", "/v1/verify", screener, nil, map[string]string{"Content-Type": "text/plain"})
	a.call("POST", "/v1/encounters", screener, map[string]any{"samples": []any{face}}, 422, nil)
	a.send("POST", "/v1/encounters", screener, nil, map[string]string{"Content-Type": "text/plain"})

	// Watch, encounters, alerts.
	a.call("PUT", "/v1/persons/"+e1.PersonID+"/watch", analyst, map[string]any{"level": "detain", "reason": "wanted"}, 200, nil)
	a.call("PUT", "/v1/persons/"+e1.PersonID+"/watch", analyst, map[string]any{"level": "shoot"}, 400, nil)
	a.call("PUT", "/v1/persons/"+e1.PersonID+"/watch", otherAnalyst, map[string]any{"level": "none"}, 403, nil)
	a.call("PUT", "/v1/persons/P-NOPE/watch", analyst, map[string]any{"level": "none"}, 404, nil)
	for _, tok := range []string{screener, analyst} {
		a.call("POST", "/v1/encounters", tok, map[string]any{"samples": tplSamples(1, 2, 3), "place": "checkpoint 4", "lat": 36.19, "lon": 44.01, "unit": "patrol 1", "outcome": "detained"}, 201, nil)
	}
	a.call("POST", "/v1/encounters", screener, map[string]any{"samples": tplSamples(7, 2, 0)}, 201, nil)
	a.call("POST", "/v1/encounters", screener, map[string]any{"samples": tplSamples(7, 2, 0), "lat": 1}, 400, nil)
	a.call("POST", "/v1/encounters", auditor, map[string]any{"samples": tplSamples(7, 2, 0)}, 403, nil)
	a.call("GET", "/v1/alerts", auditor, nil, 403, nil)
	if st, _ := a.send("GET", "/v1/alerts", screener, nil, map[string]string{"Last-Event-ID": "x"}); st != 400 {
		t.Errorf("bad Last-Event-ID: %d, want 400", st)
	}
	a.checkAlertStream(doc, screener, analyst)

	// Records.
	a.call("GET", "/v1/persons/"+e1.PersonID, analyst, nil, 200, nil)
	a.call("GET", "/v1/persons/"+e1.PersonID, otherAnalyst, nil, 403, nil)
	a.call("GET", "/v1/persons/"+e1.PersonID, enroller, nil, 403, nil)
	a.call("GET", "/v1/persons/P-NOPE", analyst, nil, 404, nil)
	a.call("GET", "/v1/persons/"+e1.PersonID+"/timeline", analyst, nil, 200, nil)
	a.call("GET", "/v1/persons/"+e1.PersonID+"/samples/1/image", analyst, nil, 404, nil) // template only
	a.call("GET", "/v1/persons/"+e1.PersonID+"/samples/x/image", analyst, nil, 400, nil)
	a.call("GET", "/v1/persons?name=karim&nationality=IRQ&limit=5", analyst, nil, 200, nil)
	a.call("GET", "/v1/persons", analyst, nil, 400, nil)
	a.call("GET", "/v1/persons?name=karim", screener, nil, 403, nil)
	a.call("PUT", "/v1/persons/"+e2.PersonID, analyst, map[string]any{"name": "Layla Hassan", "date_of_birth": "1991"}, 200, nil)
	a.call("PUT", "/v1/persons/"+e2.PersonID, analyst, map[string]any{"name": "x", "shoe_size": 9}, 400, nil)
	a.call("POST", "/v1/persons/"+e1.PersonID+"/family", analyst, map[string]any{"relative_id": e2.PersonID, "relation": "sibling", "note": "says so"}, 201, nil)
	a.call("POST", "/v1/persons/"+e1.PersonID+"/family", analyst, map[string]any{"relative_id": e2.PersonID, "relation": "friend"}, 400, nil)

	// Conflicts.
	a.call("GET", "/v1/conflicts?status=open", analyst, nil, 200, nil)
	a.call("GET", "/v1/conflicts?status=maybe", analyst, nil, 400, nil)
	a.call("GET", "/v1/conflicts", screener, nil, 403, nil)
	a.call("POST", "/v1/conflicts", analyst, map[string]any{"conflict_id": cf.Conflicts[0].ID, "resolution": "maybe"}, 400, nil)
	a.call("POST", "/v1/conflicts", analyst, map[string]any{"conflict_id": "C-NOPE", "resolution": "same-person"}, 404, nil)
	a.call("POST", "/v1/conflicts", otherAnalyst, map[string]any{"conflict_id": cf.Conflicts[0].ID, "resolution": "same-person"}, 403, nil)
	a.call("POST", "/v1/conflicts", analyst, map[string]any{"conflict_id": cf.Conflicts[0].ID, "resolution": "same-person", "merge": false, "note": "false name"}, 200, nil)
	a.call("POST", "/v1/conflicts", analyst, map[string]any{"conflict_id": cf.Conflicts[0].ID, "resolution": "same-person"}, 409, nil)

	// Deletion and retention.
	a.call("DELETE", "/v1/persons/"+e1.PersonID+"?reason=test", admin, nil, 409, nil) // on watch
	a.call("DELETE", "/v1/persons/"+cf.PersonID, admin, nil, 400, nil)                // no reason
	a.call("DELETE", "/v1/persons/"+cf.PersonID, analyst, map[string]any{"reason": "x"}, 403, nil)
	a.call("DELETE", "/v1/persons/"+cf.PersonID, admin, map[string]any{"reason": "duplicate record"}, 200, nil)
	a.call("GET", "/v1/persons/"+cf.PersonID, analyst, nil, 410, nil)
	a.call("GET", "/v1/persons/"+cf.PersonID+"/timeline", analyst, nil, 410, nil)
	a.call("DELETE", "/v1/persons/P-NOPE?reason=x", admin, nil, 404, nil)

	// Every operation on a person: 403 for another organisation, 404 for an unknown ID, 410
	// for a deleted person.
	personOps := []struct {
		method, path string
		body         any
	}{
		{"GET", "", nil}, {"PUT", "", map[string]any{"name": "x"}}, {"DELETE", "", map[string]any{"reason": "x"}},
		{"GET", "/timeline", nil}, {"PUT", "/watch", map[string]any{"level": "none"}},
		{"POST", "/family", map[string]any{"relative_id": e2.PersonID, "relation": "cousin"}},
		{"GET", "/samples/1/image", nil}, {"GET", "/transaction?dai=FR01", nil},
	}
	for _, op := range personOps {
		for id, want := range map[string]int{e1.PersonID: 403, "P-NOPE": 404, cf.PersonID: 410} {
			tok := analyst
			switch {
			case want == 403:
				tok = otherAnalyst
			case op.method == "DELETE":
				tok = admin
			}
			if st, data := a.send(op.method, "/v1/persons/"+id+op.path, tok, op.body, nil); st != want {
				t.Errorf("%s %s on %s: %d, want %d: %s", op.method, op.path, id, st, want, data)
			}
		}
	}

	// ANSI/NIST transactions: import (new person, re-enrolment, errors) and export.
	tx := transactionOf(t, "Samir Nasser", 31)
	var imp struct {
		PersonID string   `json:"person_id"`
		Warnings []string `json:"warnings"`
	}
	a.call("POST", "/v1/transactions?profile=ebts&category=detainee", enroller, ansiBody(tx), 201, &imp)
	a.call("POST", "/v1/transactions", enroller, ansiBody(tx), 200, nil)
	a.call("POST", "/v1/transactions?profile=nope", enroller, ansiBody(tx), 400, nil)
	a.call("POST", "/v1/transactions", screener, ansiBody(tx), 403, nil)
	a.call("POST", "/v1/transactions?person_id=P-NOPE", enroller, ansiBody(tx), 404, nil)
	a.call("POST", "/v1/transactions", enroller, "not a transaction", 415, nil)
	a.call("POST", "/v1/transactions", enroller, ansiBody("1.001:12\x1d1.002:0500\x1c"), 422, nil)
	a.call("GET", "/v1/persons/"+imp.PersonID+"/transaction?profile=int-i&dai=FR01", analyst, nil, 200, nil)
	a.call("GET", "/v1/persons/"+imp.PersonID+"/transaction", analyst, nil, 400, nil)

	// Familial DNA search.
	profile := map[string]any{"loci": map[string]any{"D3S1358": []string{"11", "12"}, "vWA": []string{"13", "14"},
		"FGA": []string{"15"}, "D8S1179": []string{"10", "16"}, "D21S11": []string{"12", "17"}, "D18S51": []string{"14", "18"},
		"D5S818": []string{"11", "19"}, "D13S317": []string{"13", "15"}}}
	a.call("POST", "/v1/dna/familial", analyst, map[string]any{"profile": profile, "relationship": "full-siblings"}, 200, nil)
	a.call("POST", "/v1/dna/familial", analyst, map[string]any{"profile": profile, "relationship": "spouse"}, 400, nil)
	a.call("POST", "/v1/dna/familial", analyst, map[string]any{"profile": map[string]any{"loci": map[string]any{"TH01": []string{"6"}}}, "relationship": "parent-child"}, 422, nil)
	a.call("POST", "/v1/dna/familial", screener, map[string]any{"profile": profile, "relationship": "parent-child"}, 403, nil)

	// Audit.
	a.call("GET", "/v1/audit?from=3&limit=20", auditor, nil, 200, nil)
	a.call("GET", "/v1/audit?limit=0", auditor, nil, 400, nil)
	a.call("GET", "/v1/audit", analyst, nil, 403, nil)
	a.call("GET", "/v1/audit/verify", auditor, nil, 200, nil)
	a.call("GET", "/v1/audit/verify", enroller, nil, 403, nil)

	// Every operation: 401 without a token; 413 for a body over the limit.
	big := `{"x":"` + strings.Repeat("a", maxBody) + `"}`
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			p := strings.NewReplacer("{id}", e2.PersonID, "{sample}", "1", "{partner}", "x", "{origin}", "x").Replace(path)
			if op.Responses.Value("401") != nil {
				if st, _ := a.send(method, p, "", nil, nil); st != 401 {
					t.Errorf("%s %s without a token: %d, want 401", method, p, st)
				}
			}
			if op.RequestBody != nil {
				if st, _ := a.send(method, p, admin, big, nil); st != 413 {
					t.Errorf("%s %s with a body over the limit: %d, want 413", method, p, st)
				}
			}
		}
	}

	// Every documented status but 500 was seen at least once per operation above, except
	// those listed here that would need a contrived state.
	unexercised := map[string][]int{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code := range op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				// Federation operations are exercised against linked nodes in TestFederationAPI.
				if n == 500 || slices.Contains(unexercised[op.OperationID], n) || slices.Contains(op.Tags, "federation") {
					continue
				}
				if !a.seen[op.OperationID][n] {
					t.Errorf("%s %s (%s): documented status %d never seen in the test", method, path, op.OperationID, n)
				}
			}
		}
	}
}

// checkAlertStream reads the alert backlog (the two encounters with the detained person
// above) as a screener and as an analyst, and validates each event's data against the
// Alert schema and what each role may see.
func (a *apiCheck) checkAlertStream(doc *openapi3.T, screener, analyst string) {
	t := a.t
	t.Helper()
	schema := doc.Components.Schemas["Alert"].Value
	for _, tok := range []string{screener, analyst} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", a.url+"/v1/alerts", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Last-Event-ID", "0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("alerts: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		a.seen["alerts"][200] = true
		sc := bufio.NewScanner(res.Body)
		var event, id string
		got := 0
		for got < 2 && sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: "):
				var v map[string]any
				if err := json.Unmarshal([]byte(line[6:]), &v); err != nil {
					t.Fatalf("alert data %q: %v", line, err)
				}
				if err := schema.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
					t.Errorf("alert %s does not match the Alert schema: %v", line, err)
				}
				if f, ok := v["id"].(float64); event != "alert" || id == "" || !ok || strconv.FormatFloat(f, 'f', -1, 64) != id {
					t.Errorf("alert event %q id %q, data id %v", event, id, v["id"])
				}
				_, hasPerson := v["person_id"]
				_, hasName := v["name"]
				if tok == screener && (hasPerson || hasName) {
					t.Errorf("a screener's alert shows the person: %s", line)
				}
				if tok == analyst && (!hasPerson || !hasName) {
					t.Errorf("an analyst of the owning organisation should see person_id and name: %s", line)
				}
				got++
			}
		}
		cancel()
		res.Body.Close()
		if got != 2 {
			t.Errorf("alert backlog: %d events, want 2 (%v)", got, sc.Err())
		}
	}
}
