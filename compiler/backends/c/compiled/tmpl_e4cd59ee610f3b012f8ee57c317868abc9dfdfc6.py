from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'declarations.h.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_banner = resolve('banner')
    l_0_guard = resolve('guard')
    l_0_includes = resolve('includes')
    l_0_sets = resolve('sets')
    pass
    yield str((undefined(name='banner') if l_0_banner is missing else l_0_banner))
    yield '\n\n#ifndef '
    yield str((undefined(name='guard') if l_0_guard is missing else l_0_guard))
    yield '\n#define '
    yield str((undefined(name='guard') if l_0_guard is missing else l_0_guard))
    yield '\n\n'
    for l_1_line in (undefined(name='includes') if l_0_includes is missing else l_0_includes):
        _loop_vars = {}
        pass
        yield str(l_1_line)
        yield '\n'
    l_1_line = missing
    for l_1_set in (undefined(name='sets') if l_0_sets is missing else l_0_sets):
        _loop_vars = {}
        pass
        yield '\nextern GlobalProperty '
        yield str(environment.getattr(l_1_set, 'name'))
        yield '[];\nextern const size_t '
        yield str(environment.getattr(l_1_set, 'name'))
        yield '_len;\n'
        if environment.getattr(l_1_set, 'host'):
            pass
            yield 'extern MtcHostCompat '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '_host[];\nextern const size_t '
            yield str(environment.getattr(l_1_set, 'name'))
            yield '_host_len;\n'
    l_1_set = missing
    yield '\n#endif\n'

blocks = {}
debug_info = '1=15&3=17&4=19&6=21&7=24&9=27&11=31&12=33&13=35&14=38&15=40'