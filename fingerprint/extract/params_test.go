package extract

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestMain lets experiments override tunables without editing the code:
// BIOMESH_PARAMS="spurLength=10,gaborAlong=3.5" go test ...
func TestMain(m *testing.M) {
	if spec := os.Getenv("BIOMESH_PARAMS"); spec != "" {
		if err := setParams(&defaultParams, spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

func setParams(p *params, spec string) error {
	v := reflect.ValueOf(p).Elem()
	for _, kv := range strings.Split(spec, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return fmt.Errorf("BIOMESH_PARAMS: %q is not name=value", kv)
		}
		f := v.FieldByName(name)
		if !f.IsValid() {
			return fmt.Errorf("BIOMESH_PARAMS: no parameter %q", name)
		}
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
		switch f.Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(val)
			if err != nil {
				return err
			}
			f.SetInt(int64(n))
		case reflect.Float32, reflect.Float64:
			x, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return err
			}
			f.SetFloat(x)
		default:
			return fmt.Errorf("BIOMESH_PARAMS: %q has unsupported type", name)
		}
	}
	return nil
}
