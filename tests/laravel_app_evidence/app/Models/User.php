<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\BelongsToMany;
use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Database\Eloquent\Relations\HasManyThrough;
use Illuminate\Database\Eloquent\Relations\MorphOne;
use Illuminate\Foundation\Auth\User as Authenticatable;

class User extends Authenticatable
{
    protected $fillable = ['name', 'email'];

    public function pages(): HasMany
    {
        return $this->hasMany(Page::class, 'owned_by');
    }

    // Laravel's default pivot (role_user) and keys (user_id, role_id)
    public function roles(): BelongsToMany
    {
        return $this->belongsToMany(Role::class);
    }

    public function pageAttachments(): HasManyThrough
    {
        return $this->hasManyThrough(Attachment::class, Page::class, 'owned_by', 'uploaded_to');
    }

    // polymorphic: attachments.attachable_id holds ids of many tables
    public function avatar(): MorphOne
    {
        return $this->morphOne(Attachment::class, 'attachable');
    }

    public function comments(): HasMany
    {
        return $this->hasMany(Comment::class, 'author_id');
    }
}
