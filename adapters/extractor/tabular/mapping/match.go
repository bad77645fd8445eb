package mapping

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"unsafe"
)

// maxDFAStates bounds the states a matcher builds; past it the matcher
// answers through its regexp.
const maxDFAStates = 1024

// matcher answers re.MatchString. For ASCII values it runs a DFA built
// lazily from re's program (one table look-up per byte, no allocation once
// the states it meets exist); values with other bytes, patterns with
// assertions other than ^ and $ (text begin and end), and patterns whose
// DFA grows past maxDFAStates go to the regexp. A matcher is used by one
// goroutine at a time (one extraction).
type matcher struct {
	re     *regexp.Regexp
	prog   *syntax.Prog // nil: always the regexp
	states []*dfaState
	index  map[string]int32
	// trans is every state's next [128]int32, flattened for the hot loop
	// (-1: not computed yet); flags[i] says whether state i has matched.
	trans []int32
	flags []bool
	// scratch for closures
	seen  []bool
	stack []uint32
	leaf  []uint32
	key   []byte
}

// dfaState is a set of program positions: instructions that consume a
// rune, and $ assertions waiting for the end of the text.
type dfaState struct {
	pcs   []uint32
	match bool // a match ends here: the text matches whatever follows
	end   bool // the text matches if it ends here
}

func newMatcher(re *regexp.Regexp) *matcher {
	m := &matcher{re: re}
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return m
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return m
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth &&
			syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0 {
			return m
		}
	}
	m.prog = prog
	m.index = map[string]int32{}
	m.seen = make([]bool, len(prog.Inst))
	m.closure(nil, 0, true)
	return m
}

// MatchString reports whether s contains a match of the pattern.
func (m *matcher) MatchString(s string) bool {
	if m.prog == nil || s == "" {
		return m.re.MatchString(s)
	}
	if m.flags[0] {
		return true
	}
	st := int32(0)
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x80 {
			return m.re.MatchString(s)
		}
		n := m.trans[int(st)<<7|int(b)]
		if n < 0 {
			if n == dfaMatched {
				return true
			}
			if len(m.states) >= maxDFAStates {
				return m.re.MatchString(s)
			}
			n = m.closure(m.states[st], b, false)
			if m.flags[n] {
				m.trans[int(st)<<7|int(b)] = dfaMatched
				return true
			}
			m.trans[int(st)<<7|int(b)] = n
		}
		st = n
	}
	return m.states[st].end
}

// dfaMatched in trans marks a transition into a state that has matched.
const dfaMatched = -2

// closure builds (or finds) the state reached from `from` on byte b, or the
// start state when from is nil, and returns its index. Every position also
// restarts the program: MatchString looks for a match anywhere.
func (m *matcher) closure(from *dfaState, b byte, begin bool) int32 {
	clear(m.seen)
	m.leaf = m.leaf[:0]
	match := false
	if from != nil {
		r := rune(b)
		for _, pc := range from.pcs {
			in := &m.prog.Inst[pc]
			if consumes(in, r) {
				match = m.follow(in.Out, begin, false) || match
			}
		}
	}
	match = m.follow(uint32(m.prog.Start), begin, false) || match
	slices.Sort(m.leaf)
	m.key = m.key[:0]
	if begin {
		m.key = append(m.key, 'B')
	}
	if match {
		m.key = append(m.key, 'M')
	}
	for _, pc := range m.leaf {
		m.key = append(m.key, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	if n, ok := m.index[unsafe.String(unsafe.SliceData(m.key), len(m.key))]; ok {
		return n
	}
	st := &dfaState{pcs: slices.Clone(m.leaf), match: match}
	// The text may end here: resolve the waiting $ assertions.
	clear(m.seen)
	m.leaf = m.leaf[:0]
	for _, pc := range st.pcs {
		if m.prog.Inst[pc].Op == syntax.InstEmptyWidth && m.follow(pc, begin, true) {
			st.end = true
		}
	}
	n := int32(len(m.states))
	m.states = append(m.states, st)
	m.index[string(m.key)] = n
	m.flags = append(m.flags, match)
	for range 128 {
		m.trans = append(m.trans, -1)
	}
	return n
}

// follow adds the positions reachable from pc without consuming input to
// m.leaf and reports whether a match is among them.
func (m *matcher) follow(pc uint32, begin, end bool) bool {
	match := false
	m.stack = append(m.stack[:0], pc)
	for len(m.stack) > 0 {
		pc := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		if m.seen[pc] {
			continue
		}
		m.seen[pc] = true
		in := &m.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			m.stack = append(m.stack, in.Arg, in.Out)
		case syntax.InstCapture, syntax.InstNop:
			m.stack = append(m.stack, in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			switch {
			case op&syntax.EmptyBeginText != 0 && !begin:
			case op&syntax.EmptyEndText != 0 && !end:
				m.leaf = append(m.leaf, pc)
			default:
				m.stack = append(m.stack, in.Out)
			}
		case syntax.InstMatch:
			match = true
		case syntax.InstFail:
		default:
			m.leaf = append(m.leaf, pc)
		}
	}
	return match
}

// consumes reports whether a rune instruction matches r.
func consumes(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRune:
		return in.MatchRune(r)
	case syntax.InstRune1:
		return r == in.Rune[0]
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	return false
}
