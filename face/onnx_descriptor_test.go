package face

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestONNXDescriptor(t *testing.T) {
	dir := t.TempDir()
	good := `{"model":"arcface-test","file":"m.onnx","layout":"NCHW","channels":"RGB",
		"mean":[127.5,127.5,127.5],"std":[127.5,127.5,127.5],"dim":512,
		"chip":{"size":112,"points":[{"name":"right_eye","x":38.29,"y":51.70},{"name":"left_eye","x":73.53,"y":51.50},{"name":"nose","x":56.03,"y":80}]}}`
	p := filepath.Join(dir, "d.json")
	os.WriteFile(p, []byte(good), 0o644)
	d, err := ReadONNXDescriptor(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelPath() != filepath.Join(dir, "m.onnx") {
		t.Errorf("model path %s", d.ModelPath())
	}
	chip := NewRGB(112, 112)
	chip.Pix[0], chip.Pix[1], chip.Pix[2] = 255, 0, 127
	x := d.tensor([]*RGB{chip})
	if len(x) != 3*112*112 || x[0] != 1 || x[112*112] != -1 || x[2*112*112] != -0.003921569 {
		t.Errorf("NCHW tensor starts %v %v %v", x[0], x[112*112], x[2*112*112])
	}
	for _, bad := range []struct{ from, to, want string }{
		{`"layout":"NCHW"`, `"layout":"CHW"`, "layout"},
		{`"channels":"RGB"`, `"channels":"YUV"`, "channels"},
		{`"dim":512`, `"dim":0`, "dim"},
		{`"std":[127.5,127.5,127.5]`, `"std":[127.5,0,127.5]`, "std"},
		{`"name":"nose"`, `"name":"mouth"`, "mouth"},
		{`"file":"m.onnx",`, ``, "file"},
	} {
		os.WriteFile(p, []byte(strings.Replace(good, bad.from, bad.to, 1)), 0o644)
		if _, err := ReadONNXDescriptor(p); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s → %s: %v", bad.from, bad.to, err)
		}
	}
}
