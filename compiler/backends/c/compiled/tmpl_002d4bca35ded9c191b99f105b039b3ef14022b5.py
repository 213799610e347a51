from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'tables.c.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_banner = resolve('banner')
    l_0_includes = resolve('includes')
    l_0_host_functions = resolve('host_functions')
    l_0_sets = resolve('sets')
    pass
    yield str((undefined(name='banner') if l_0_banner is missing else l_0_banner))
    yield '\n'
    if (undefined(name='includes') if l_0_includes is missing else l_0_includes):
        pass
        yield '\n'
        for l_1_line in (undefined(name='includes') if l_0_includes is missing else l_0_includes):
            _loop_vars = {}
            pass
            yield str(l_1_line)
            yield '\n'
        l_1_line = missing
    if (undefined(name='host_functions') if l_0_host_functions is missing else l_0_host_functions):
        pass
        yield "\n/*\n * Entries under a host guard are in the sets' _host tables, each with the\n * condition below under which it applies (mtc_compat_props_add_host()).\n */\n"
        for l_1_fn in (undefined(name='host_functions') if l_0_host_functions is missing else l_0_host_functions):
            _loop_vars = {}
            pass
            yield '\n'
            for l_2_line in environment.getattr(l_1_fn, 'comment'):
                _loop_vars = {}
                pass
                yield str(l_2_line)
                yield '\n'
            l_2_line = missing
            yield 'static bool '
            yield str(environment.getattr(l_1_fn, 'name'))
            yield '(const MtcHost *host)\n{\n'
            yield str(environment.getattr(l_1_fn, 'body'))
            yield '\n}\n'
        l_1_fn = missing
    for l_1_set in (undefined(name='sets') if l_0_sets is missing else l_0_sets):
        _loop_vars = {}
        pass
        yield '\n'
        if environment.getattr(l_1_set, 'entries'):
            pass
            yield 'GlobalProperty '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '[] = {\n'
            for l_2_line in environment.getattr(l_1_set, 'entries'):
                _loop_vars = {}
                pass
                yield str(l_2_line)
                yield '\n'
            l_2_line = missing
            yield '};\n'
        else:
            pass
            yield 'GlobalProperty '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '[] = {};\n'
        yield 'const size_t '
        yield str(environment.getattr(l_1_set, 'name'))
        yield '_len = G_N_ELEMENTS('
        yield str(environment.getattr(l_1_set, 'name'))
        yield ');\n'
        if environment.getattr(l_1_set, 'host'):
            pass
            yield '\nMtcHostCompat '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '_host[] = {\n'
            for l_2_line in environment.getattr(l_1_set, 'host'):
                _loop_vars = {}
                pass
                yield str(l_2_line)
                yield '\n'
            l_2_line = missing
            yield '};\nconst size_t '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '_host_len = G_N_ELEMENTS('
            yield str(environment.getattr(l_1_set, 'name'))
            yield '_host);\n'
    l_1_set = missing

blocks = {}
debug_info = '1=15&2=17&4=20&5=23&8=26&14=29&16=33&17=36&19=40&21=42&25=45&27=49&28=52&29=54&30=57&34=64&36=67&37=71&39=74&40=76&41=79&44=83'