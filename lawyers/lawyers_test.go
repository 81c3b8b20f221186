package lawyers

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"fayun/store/storetest"
)

func TestRosterIsDeterministicAndPlausible(t *testing.T) {
	a, b := Roster(), Roster()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls of Roster differ")
	}
	if len(a) != RosterSize {
		t.Fatalf("roster has %d lawyers, want %d", len(a), RosterSize)
	}
	names := map[string]bool{}
	genders := map[string]int{}
	districts := map[string]bool{}
	for i, l := range a {
		if l.ID != i+1 {
			t.Fatalf("lawyer %d has id %d", i, l.ID)
		}
		if names[l.Name] {
			t.Errorf("name %s used twice", l.Name)
		}
		names[l.Name] = true
		genders[l.Gender]++
		districts[l.District] = true
		if len(l.Specialties) == 0 || len(l.Specialties) > 3 {
			t.Errorf("lawyer %d has %d specialties", l.ID, len(l.Specialties))
		}
		for _, s := range l.Specialties {
			if !IsSpecialty(s) {
				t.Errorf("lawyer %d: unknown specialty %q", l.ID, s)
			}
		}
		if !strings.Contains(l.Firm, "律师事务所") || !strings.Contains(l.Bio, l.Name) {
			t.Errorf("lawyer %d: firm %q bio %q", l.ID, l.Firm, l.Bio)
		}
	}
	if genders["female"] < 50 || genders["male"] < 50 {
		t.Errorf("gender balance %v", genders)
	}
	if len(districts) != len(Districts) {
		t.Errorf("roster covers %d of %d districts", len(districts), len(Districts))
	}
}

func TestDirectorySeedListGet(t *testing.T) {
	ctx := context.Background()
	dir := NewDirectory(storetest.New(t))

	n, err := dir.Seed(ctx)
	if err != nil || n != RosterSize {
		t.Fatalf("first seed: %d rows, %v", n, err)
	}
	if err := dir.SetDuty(ctx, 7, true); err != nil {
		t.Fatal(err)
	}
	n, err = dir.Seed(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second seed changed %d rows (%v), want 0", n, err)
	}

	all, err := dir.List(ctx, Filter{})
	if err != nil || len(all) != RosterSize {
		t.Fatalf("list: %d, %v", len(all), err)
	}
	if !reflect.DeepEqual(withoutDuty(all), Roster()) {
		t.Fatal("stored roster differs from the generated one")
	}
	onDuty, err := dir.List(ctx, Filter{OnDuty: true})
	if err != nil || len(onDuty) != 1 || onDuty[0].ID != 7 {
		t.Fatalf("on duty after reseed: %v %v", onDuty, err)
	}

	labor, err := dir.List(ctx, Filter{Specialty: "labor", District: "海宁市"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labor {
		if l.District != "海宁市" || !contains(l.Specialties, "labor") {
			t.Fatalf("filter returned %+v", l)
		}
	}
	want := all[41]
	byName, err := dir.List(ctx, Filter{Query: want.Name})
	if err != nil || len(byName) == 0 || byName[0].Name != want.Name {
		t.Fatalf("name search for %s: %v %v", want.Name, byName, err)
	}

	if _, err := dir.Get(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	if err := dir.SetDuty(ctx, 9999, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("set duty unknown: %v", err)
	}
}

func withoutDuty(ls []Lawyer) []Lawyer {
	out := append([]Lawyer(nil), ls...)
	for i := range out {
		out[i].OnDuty = false
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
